"""The seed's `components` module: `TrainingComponents` now lives in
`pipeline/components.py`; this name hands it on."""

from .pipeline.components import TrainingComponents

__all__ = ["TrainingComponents"]
