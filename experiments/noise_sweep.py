"""Run the study `invlin.studies.noise_sweep` on its own (JSON record + PNG figures).

Usage: `python experiments/noise_sweep.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("noise_sweep"))
