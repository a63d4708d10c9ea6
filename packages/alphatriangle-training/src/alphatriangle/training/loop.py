"""The seed's `loop` module: `TrainingLoop` now lives in `pipeline/loop.py`; this name
hands it on."""

from .pipeline.loop import TrainingLoop

__all__ = ["TrainingLoop"]
