"""`tfx-text`: the command line over every layer (run, models, compile, report, predict, serve)."""
