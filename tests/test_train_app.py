"""`uv run apps/train` as a user starts it: in a fresh directory, as a subprocess.

One run reaches its step limit; a second run of the same name resumes at the saved
step with the saved buffer; a `--no-resume` run starts from zero; bad input exits 2
and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

REPO = Path(__file__).resolve().parents[1]
# The training package's tiny settings: a few seconds per run on 2 cores.
TINY_TOML = (REPO / "packages" / "alphatriangle-training" / "tests" / "tiny.toml").read_text()


def train(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`uv run apps/train ARGS` from `workdir`, in this test's environment."""
    uv = shutil.which("uv")
    assert uv is not None, "uv must be on PATH (the README's prerequisite)"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
    command = [uv, "run", "--frozen", "--project", str(REPO), str(REPO / "apps" / "train"), *args]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )


def run_state(workdir: Path, name: str) -> dict[str, object]:
    path = workdir / ".alphatriangle_data" / "AlphaTriangle" / "runs" / name / "run_state.json"
    state: dict[str, object] = json.loads(path.read_text())
    return state


def test_train_resume_and_start_fresh(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY_TOML)
    base = ["--config", "tiny.toml", "--run-name", "e2e", "--seed", "3"]

    first = train(tmp_path, *base, "--max-training-steps", "20")
    assert first.returncode == 0, first.stdout + first.stderr
    app_dir = tmp_path / ".alphatriangle_data" / "AlphaTriangle"
    run_dir = app_dir / "runs" / "e2e"
    assert (run_dir / "checkpoints" / "latest.pkl").is_file()
    assert (run_dir / "buffers" / "buffer.pkl").is_file()
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert json.loads((run_dir / "configs.json").read_text())["train"]["batch_size"] == 16
    first_state = run_state(tmp_path, "e2e")
    assert first_state["global_step"] == 20
    assert "step 20/20" in first.stdout + first.stderr

    second = train(tmp_path, *base, "--max-training-steps", "30")
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert f"Resuming run e2e at step 20 with {first_state['buffer_size']} positions" in output
    assert run_state(tmp_path, "e2e")["global_step"] == 30

    client = MlflowClient(tracking_uri=f"sqlite:///{app_dir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert {r.info.run_name for r in runs} == {"e2e"}
    loss_steps = sorted(
        m.step for r in runs for m in client.get_metric_history(r.info.run_id, "Loss/total")
    )
    assert loss_steps[0] <= 20 < loss_steps[-1] == 30
    assert any(client.get_metric_history(r.info.run_id, "Episode/score") for r in runs)

    fresh = train(tmp_path, *base, "--max-training-steps", "10", "--no-resume")
    output = fresh.stdout + fresh.stderr
    assert fresh.returncode == 0, output
    assert "Resuming" not in output
    assert "step 10/10" in output
    assert run_state(tmp_path, "e2e")["global_step"] == 10


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max-training-steps", "0"], "max_training_steps"),
        (["--games-per-worker", "many"], "--games-per-worker"),
    ],
)
def test_bad_arguments_exit_2_and_create_nothing(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = train(tmp_path, *args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert not (tmp_path / ".alphatriangle_data").exists()
