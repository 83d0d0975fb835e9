"""Files shipped with the app, named without importing torch: the GUI checks that the model
file is there before it pays ~1 s (and ~130 k objects to the collector) for importing torch."""

from pathlib import Path

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "resources" / "model" / "pedsleep-compact.safetensors"
