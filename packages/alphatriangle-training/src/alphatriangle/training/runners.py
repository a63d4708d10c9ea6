"""The seed's `runners` module: `run_training` (the seed's re-export of `runner`) now lives
in `pipeline/runner.py`; this name hands it on."""

from .pipeline.runner import run_training

__all__ = ["run_training"]
