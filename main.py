"""PedSleep Assist: `python main.py [STUDY.edf]` opens the viewer."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
