"""Run the study `invlin.studies.diagonal_marginal` on its own (JSON record + PNG figures).

Usage: `python experiments/diagonal_marginal.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("diagonal_marginal"))
