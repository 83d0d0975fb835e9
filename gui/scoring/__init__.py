"""Hand scoring in the GUI: the scoring controller, hypnogram, event overlay and list."""
