#!/bin/sh
# Train the starter model in resources/model/ (see engine/training/recipe.py).
# Resumable: run it again to continue. Logs and checkpoints under runs/starter/.
#   scripts/train_starter.sh            # all stages, 45 min of pretraining
#   MINUTES=60 scripts/train_starter.sh
set -e
cd "$(dirname "$0")/.."
mkdir -p runs/starter
PY=${PY:-.venv/bin/python}
exec "$PY" -m engine.training.recipe all --workdir runs/starter --minutes "${MINUTES:-45}" "$@"
