"""The seed's `setup` module: `setup_training_components` now lives in `pipeline/setup.py`;
this name hands it on."""

from .pipeline.setup import setup_training_components

__all__ = ["setup_training_components"]
