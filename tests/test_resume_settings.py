"""A run stays what it was started as: `uv run apps/train` resumed as a user does it.

A budgeted run stopped by Ctrl-C and resumed with no options at all trains only what is
left of its budget on its own settings, its learning rate going on down the same
schedule, and ends by itself when the budget is spent; a resume with another board or
network shape exits 2 and leaves every file as it was; resumed with the budget it has
spent it trains nothing, and with a larger one only the difference.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow.tracking import MlflowClient

from alphatriangle.nn import read_checkpoint

if TYPE_CHECKING:
    from conftest import TrainApp  # the fixture's type (conftest is not importable)


def snapshot(directory: Path) -> dict[str, tuple[int, str]]:
    """Every file under `directory`: (modification time, content hash)."""
    return {
        str(path.relative_to(directory)): (
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_a_budgeted_run_keeps_its_settings_and_trains_its_budget_once_across_resumes(
    tmp_path: Path, train_app: TrainApp, tiny_toml: str
) -> None:
    settings = tiny_toml.replace("[train]\n", "[train]\nlr_warmup_steps = 0\n", 1)
    (tmp_path / "tiny.toml").write_text(settings)
    app_dir = tmp_path / ".alphatriangle_data" / "AlphaTriangle"
    run_dir = app_dir / "runs" / "budget"
    checkpoint = run_dir / "checkpoints" / "latest.pt"
    base = ["--config", "tiny.toml", "--run-name", "budget", "--seed", "5"]

    first = train_app.start(tmp_path, *base, "--max-minutes", "0.2")
    first.wait_for("First training step")
    time.sleep(3.0)
    first.process.send_signal(signal.SIGINT)
    assert first.finish() == 130, first.output
    stopped = json.loads((run_dir / "run_state.json").read_text())
    assert not stopped["finished"]
    stopped_step = stopped["global_step"]
    stopped_seconds = stopped["counters"]["training_seconds"]
    assert stopped_seconds < 12.0

    # No options at all: the newest unfinished run resumes, on everything it was given,
    # and the time budget ends it.
    resumed = train_app.run(tmp_path)
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output
    assert "Restored the settings the run was started with" in output
    assert "time budget 0.2 minutes" in output
    assert "Changed on resume" not in output
    assert "The time budget of 0.2 minutes is spent." in output
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state["finished"] is True
    assert (state["max_minutes"], state["max_training_steps"]) == (
        0.2,
        None,  # the budget alone ends the run: no default step limit came first
    )
    assert state["settings"]["model"]["trunk_channels"] == 8  # the tiny network, not the default
    assert state["global_step"] > stopped_step
    budget_step = state["global_step"]
    assert isinstance(budget_step, int)
    assert budget_step > 0
    counters = read_checkpoint(checkpoint)["counters"]
    assert isinstance(counters, dict)
    assert 12.0 <= counters["training_seconds"] < 12.0 + 5.0  # one budget, not two

    # The learning rate anneals over the one budget: it goes on down after the resume
    # instead of starting its schedule again.
    client = MlflowClient(tracking_uri=f"sqlite:///{app_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    history = sorted(client.get_metric_history(run.info.run_id, "LearningRate"), key=_step)
    before = [m.value for m in history if m.step <= stopped_step]
    after = [m.value for m in history if m.step > stopped_step]
    assert before
    assert after
    assert after[0] <= before[-1] + 1e-12
    values = [m.value for m in history]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(values)), values
    assert after[-1] < 0.5 * before[0]

    # Another board or another network shape: exit 2, and not a file changes.
    before_files = snapshot(app_dir)
    for table in ("[env]\nROWS = 6\n", "[model]\ntrunk_channels = 16\n"):
        (tmp_path / "other.toml").write_text(table)
        refused = train_app.run(tmp_path, "--run-name", "budget", "--config", "other.toml")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        field = (
            "[env] ROWS: the run has 8, given 6"
            if "ROWS" in table
            else ("[model] trunk_channels: the run has 8, given 16")
        )
        assert field in refused.stderr
        assert "--no-resume" in refused.stderr
    assert snapshot(app_dir) == before_files

    # The same budget again: spent already, so the run ends at once, having trained nothing.
    again = train_app.run(tmp_path, *base, "--max-minutes", "0.2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((run_dir / "run_state.json").read_text())["global_step"] == budget_step

    # A larger budget: only the difference is trained.
    longer = train_app.run(tmp_path, *base, "--max-minutes", "0.3")
    assert longer.returncode == 0, longer.stdout + longer.stderr
    counters = read_checkpoint(checkpoint)["counters"]
    assert isinstance(counters, dict)
    assert 18.0 <= counters["training_seconds"] < 18.0 + 5.0
    assert json.loads((run_dir / "run_state.json").read_text())["global_step"] > budget_step


def _step(metric: object) -> int:
    step = getattr(metric, "step", None)
    assert isinstance(step, int)
    return step
