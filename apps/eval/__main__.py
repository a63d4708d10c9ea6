"""`uv run apps/eval`: agents and baselines on fixed seeds (logic: alphatriangle.eval)."""

import sys

from alphatriangle.eval.cli import main

if __name__ == "__main__":
    sys.exit(main())
