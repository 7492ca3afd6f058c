"""Serving the pushed models through TF Serving's REST and gRPC APIs.

client.py / grpc_client.py: clients and the typed helpers; cli.py: `predict` and `serve`;
models_config.py: models.config for tensorflow_model_server; local_server.py (registry.py,
rest_server.py, grpc_server.py, json_tensors.py, batching.py): the local development server;
deploy/: docker, Kubernetes, batching and monitoring files. See docs/serving.md.
"""
