"""Run the study `invlin.studies.sparse_deconvolution` on its own (JSON record + PNG figures).

Usage: `python experiments/sparse_deconvolution.py [--out DIR] [--seed N] [--quick | --full]`

Without a flag: the report's setting (d = 100 trained briefly; d = 10^4 end to end with a few
training steps). `--full`: long training at d = 100 and 10^3, with checks.
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main("sparse_deconvolution", [a for a in arguments if a != "--full"],
                  full="--full" in arguments))
