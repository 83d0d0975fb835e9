"""Sub-commands of the `pedsleep` CLI, one module each (discovered by engine.cli)."""
