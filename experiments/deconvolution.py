"""Run the study `invlin.studies.deconvolution` on its own (JSON record + PNG figures).

Usage: `python experiments/deconvolution.py [--out DIR] [--seed N] [--quick | --full]`

Without a flag: the report's setting (time and memory for d = 10^2..10^4, short training).
`--full`: the acceptance run (long training at several d and noise levels, with checks).
"""

import sys

from invlin.studies.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main("deconvolution", [a for a in arguments if a != "--full"],
                  full="--full" in arguments))
