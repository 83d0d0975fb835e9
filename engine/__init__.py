"""PedSleep Assist engine: everything that is not drawing (I/O, channels, signals, scoring,
model, training, inference, CLI). Never imports Qt (docs/architecture.md rule 1)."""
