"""Run the study `invlin.studies.iresnet_high_dim` on its own (JSON record + PNG figures).

Usage: `python experiments/iresnet_high_dim.py [--out DIR] [--seed N] [--quick]`
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    sys.exit(main("iresnet_high_dim"))
