"""PedSleep Assist engine: everything that is not drawing (I/O, channels, signals, scoring,
model, training, inference, CLI). Never imports Qt (DESIGN.md rule 1)."""
