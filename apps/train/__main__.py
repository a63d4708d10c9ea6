"""`uv run apps/train`: headless AlphaTriangle training (the logic is alphatriangle.training's)."""

import sys

from alphatriangle.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
