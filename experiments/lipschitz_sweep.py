"""Run the study `invlin.studies.lipschitz_sweep` on its own (JSON record + PNG figures).

Usage: `python experiments/lipschitz_sweep.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("lipschitz_sweep"))
