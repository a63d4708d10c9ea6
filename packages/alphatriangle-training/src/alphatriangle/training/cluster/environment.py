"""The environment variables Ray reads, set in one place, before Ray is imported.

- `RAY_ENABLE_UV_RUN_RUNTIME_ENV=0`: launched through `uv run`, Ray would otherwise
  re-create the project's environment for its workers in a temporary working
  directory (which fails when the run starts outside the repository, and costs every
  worker a start-up). Ray reads it once, into a constant, when it is imported; so the
  training package sets it when it is itself imported (its `__init__`), before any of
  its modules imports Ray. Workers then use the driver's interpreter and environment.
- `RAY_worker_niceness=0`: Ray starts its workers at niceness 15 below the driver; the
  trainer in the driver would then starve self-play of its cores. The raylet of a
  private Ray reads it when it starts: workers and trainer get equal priority.

A value the user set is kept. This module must not import Ray.
"""

from __future__ import annotations

import os

RAY_ENVIRONMENT = {
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
    "RAY_worker_niceness": "0",
}
"""Variable -> the value a run needs (see the module docstring for why)."""


def set_ray_environment() -> None:
    """Set each variable of `RAY_ENVIRONMENT` that is not set already."""
    for name, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
