"""The seed's `runner` module: `run_training` now lives in `pipeline/runner.py`; this name
hands it on."""

from .pipeline.runner import run_training

__all__ = ["run_training"]
