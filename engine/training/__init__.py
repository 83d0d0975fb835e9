"""Training: pretraining (single process or DDP), probe fitting, evaluation, the starter
model recipe."""
