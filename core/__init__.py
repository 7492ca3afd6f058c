"""The leaf of the package graph: config, feature keys, names and the task registry."""
