"""PedSleep Assist: `python main.py [STUDY.edf]` opens the viewer."""

import gc
import os
import sys

# Start-up builds ~95,000 long-lived objects (Qt wrappers, pyqtgraph, numpy, the engine):
# no garbage collection passes over them while they are made; gui.app.main freezes them
# (gc.freeze) and turns the collector back on once the window is up. Only when run as the
# app: a process that merely imports this file (multiprocessing's spawn) keeps its collector.
if __name__ == "__main__":
    gc.disable()

# Background jobs (the model in torch, yasa's lightgbm, numpy's BLAS) may use every core
# but one: drawing keeps a core of its own. Set before numpy/torch/lightgbm load;
# an explicit setting in the environment wins.
_SPARE = str(max(1, (os.cpu_count() or 2) - 1))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _SPARE)

from gui.app import main  # noqa: E402 — after the thread limits above

if __name__ == "__main__":
    sys.exit(main())
