"""The run-state file (`RunContext.run_state_path`): where a run stands, for people and
for the next start.

It says the step a run reached, whether it reached its step limit or spent its time
budget, its counters, the checkpoint it saved last, its best evaluation score so far and
the settings it trains with (`run_settings`: a resume restores them).
A start without `--run-name` continues the newest run that is not finished
(`newest_unfinished_run`); a resumed run keeps its best score, so `best.pt` is replaced
only by a better one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alphatriangle.config import AppPaths, RunContext
from alphatriangle.nn import write_atomically


@dataclass(frozen=True, slots=True)
class RunState:
    """What the run-state file holds (JSON, one key per field)."""

    run_name: str
    global_step: int
    max_training_steps: int | None
    max_minutes: float | None
    finished: bool
    """The run reached `max_training_steps` or spent its `max_minutes`."""
    buffer_size: int
    episodes_played: int
    latest_checkpoint: str
    mlflow_run_id: str
    counters: dict[str, float]
    best_eval_mean_score: float | None
    """The best mean score of the evaluations during training (None: none yet)."""
    settings: dict[str, dict[str, Any]]
    """Every setting the run trains with (`RunSettings.to_json`): what a resume restores."""


def write_run_state(path: Path, state: RunState) -> Path:
    """Write `state` beside `path` and rename it over `path`, so it is never half-written."""
    text = json.dumps(asdict(state), indent=2).encode()
    return write_atomically(path, lambda handle: handle.write(text))


def read_run_state(path: Path) -> dict[str, Any] | None:
    """The file's contents, or None when it is missing or unreadable."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def saved_best_score(path: Path) -> float | None:
    """The best evaluation score the run-state file records, if any."""
    value = (read_run_state(path) or {}).get("best_eval_mean_score")
    return float(value) if isinstance(value, int | float) else None


def newest_unfinished_run(app: AppPaths) -> str | None:
    """Name of the run saved most recently that has a checkpoint and has not reached its
    step limit or spent its time budget (None when there is none)."""
    candidates = []
    for run_dir in app.runs_dir.iterdir() if app.runs_dir.is_dir() else ():
        try:
            run = RunContext(run_name=run_dir.name, data_root=app.data_root, app_name=app.app_name)
        except ValueError:
            continue  # not a run's directory
        state = read_run_state(run.run_state_path)
        unfinished = state is not None and not state.get("finished", False)
        if unfinished and run.latest_checkpoint_path.is_file():
            candidates.append((run.run_state_path.stat().st_mtime, run.run_name))
    return max(candidates)[1] if candidates else None
