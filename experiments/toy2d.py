"""Run the study `invlin.studies.toy2d` on its own (JSON record + PNG figures).

Usage: `python experiments/toy2d.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("toy2d"))
