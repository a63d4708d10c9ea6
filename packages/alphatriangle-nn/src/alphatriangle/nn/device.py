"""Device choice with a CPU fallback: a config asking for CUDA still runs where there is none."""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)


def resolve_device(requested: str) -> torch.device:
    """`auto`: CUDA when available, else CPU; `cuda` without a GPU falls back to CPU, warning."""
    if requested not in ("auto", "cpu", "cuda") and not requested.startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {requested!r}")
    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda" if requested == "auto" else requested)
    if requested != "auto":
        logger.warning(
            "Device %r was requested but CUDA is not available; using the CPU.", requested
        )
    return torch.device("cpu")
