"""Run the study `invlin.studies.bimodal_high_noise` on its own (JSON record + PNG figures).

Usage: `python experiments/bimodal_high_noise.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("bimodal_high_noise"))
