"""Serving the pushed models through TF Serving's REST and gRPC APIs.

client.py (REST, `connect`), grpc_client.py, base_client.py: the clients and typed helpers;
cli.py: `predict` and `serve`; models_config.py: models.config for tensorflow_model_server;
local_server.py (registry.py, json_codec.py, protos.py): the local development server; deploy/:
docker, Kubernetes, batching and monitoring files. See docs/serving.md.
"""
