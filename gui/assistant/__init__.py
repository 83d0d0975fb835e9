"""The assistant in the viewer: model worker, overlays, accept/reject, review queue,
re-fit from corrections, similar epochs, live agreement."""
