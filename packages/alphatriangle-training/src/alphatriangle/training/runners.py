"""The entry point of the headless pipeline, re-exported for `from ... import run_training`."""

from .runner import run_training

__all__ = ["run_training"]
