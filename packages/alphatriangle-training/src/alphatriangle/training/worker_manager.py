"""The seed's `worker_manager` module: `WorkerManager` now lives in
`roles/worker_manager.py`; this name hands it on."""

from .roles.worker_manager import WorkerManager

__all__ = ["WorkerManager"]
