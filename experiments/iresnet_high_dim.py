"""Run the study `invlin.studies.iresnet_high_dim` on its own (JSON record + PNG figures).

Usage: `python experiments/iresnet_high_dim.py [--out DIR] [--seed N] [--quick | --full]`

Without a flag: the report's short setting (no checks). `--full`: the acceptance run (long
training in d = 16 and 64, exact vs stochastic, with checks; about 8 minutes on 2 cores).
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main("iresnet_high_dim", [a for a in arguments if a != "--full"],
                  full="--full" in arguments))
