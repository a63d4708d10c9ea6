"""`uv run apps/eval`: agents and baselines on fixed seeds (logic: alphatriangle.training)."""

import sys

from alphatriangle.training.evaluation_cli import main

if __name__ == "__main__":
    sys.exit(main())
