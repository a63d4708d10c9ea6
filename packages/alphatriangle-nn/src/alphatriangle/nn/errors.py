"""What does not fit a network: a checkpoint for another architecture, or another board."""

from __future__ import annotations


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors do not fit this network (another board or architecture)."""


class BoardMismatchError(CheckpointMismatchError):
    """Two boards that must have the same shape do not; the message names both.

    A checkpoint for another board is the mistake users make most, so it has its own
    type (and is still a CheckpointMismatchError for those who catch that).
    """
