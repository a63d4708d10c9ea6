"""run_training in-process with real Ray, trieye, MLflow on SQLite and TensorBoard files.

One tiny run (the `tiny_run` fixture) is read by several tests: its files, its MLflow
run through MLflow's client, and once through a real `mlflow server` over REST.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import ray
from mlflow.tracking import MlflowClient

from alphatriangle.config import EnvConfig, RunContext
from alphatriangle.nn import LOCAL_PATTERNS, board_value_inputs, read_checkpoint
from alphatriangle.training import run_training
from alphatriangle.training.telemetry.run_logs import seconds_since_process_start

WEDGE = tuple(pattern for pattern in LOCAL_PATTERNS if pattern[0] == "wedge")
"""The patterns tiny.toml's board value reads."""
DATED_METRICS = ("Loss/total", "Episode/score", "Eval/mean_score", "Rate/steps_per_sec")
"""Metrics of each kind (per step, per game, per evaluation, a rate) the run must log."""


@dataclass(frozen=True)
class TinyRun:
    """A finished 12-step run, and the clocks read around it."""

    context: RunContext
    exit_code: int
    ray_left_running: bool
    launched_before: float
    """`seconds_since_process_start()` just before the run."""
    started_ms: int
    finished_ms: int
    """Epoch milliseconds just before and just after the run."""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_configs: Any) -> TinyRun:
    context = RunContext(
        run_name="inproc", seed=1, data_root=tmp_path_factory.mktemp("tiny") / "data"
    )
    configs = tiny_configs(
        max_training_steps=12,
        eval_interval_steps=6,
        eval_games=2,
        eval_max_moves=12,
        max_samples_per_position=1.0,
        # trieye logs one value per metric per pass, at the pass's latest step, and the
        # 12 steps can come in one burst well under tiny.toml's 0.3 s: frequent passes
        # give the metrics several steps to be checked at.
        stats_interval_seconds=0.02,
    )
    launched_before = seconds_since_process_start()
    started_ms = time.time_ns() // 1_000_000
    exit_code = run_training(context, **configs)
    finished_ms = time.time_ns() // 1_000_000
    return TinyRun(
        context, exit_code, ray.is_initialized(), launched_before, started_ms, finished_ms
    )


def test_the_tiny_run_waits_for_more_than_games_in_play_hand_over(tiny_configs: Any) -> None:
    """Games in play hand over what the ply past the refill found (at most the followed
    plans of each move; a game is cut off only at the end of a turn): tiny.toml's
    warm-up must exceed all of it, or training can end before any game does."""
    configs = tiny_configs()
    train, mcts = configs["train_config"], configs["mcts_config"]
    longest_game = train.max_episode_length + EnvConfig().NUM_SHAPE_SLOTS - 1
    handed_over_in_play = train.games_per_worker * longest_game * mcts.turn_refill_candidates
    assert train.min_buffer_size_to_train > handed_over_in_play


def test_a_tiny_run_reaches_its_limit_and_everything_arrives(tiny_run: TinyRun) -> None:
    context = tiny_run.context
    assert tiny_run.exit_code == 0
    assert not tiny_run.ray_left_running
    checkpoints = sorted(p.name for p in context.checkpoints_dir.iterdir())
    # Steps 6 and 12 were evaluated (so saved); 10 is the checkpoint cadence; best is one of them.
    assert checkpoints == [
        "best.pt",
        "latest.pt",
        "step_00000006.pt",
        "step_00000010.pt",
        "step_00000012.pt",
    ]
    assert sorted(p.name for p in context.buffers_dir.iterdir()) == [
        "buffer_step_00000010.npz",
        "buffer_step_00000012.npz",
    ]
    latest = read_checkpoint(context.checkpoints_dir / "latest.pt")  # weights-only loader
    assert latest["global_step"] == 12
    weights = latest["model_state"]
    assert isinstance(weights, dict)  # the value tiny.toml picks: the summary, then wedges
    assert weights["board_value.weight"].shape == (len(board_value_inputs(WEDGE)),)
    assert not list(context.run_dir.rglob("*.pkl"))
    assert list(context.tensorboard_dir.glob("events.out.tfevents.*"))
    # The app directory holds the MLflow store and the runs, and no empty leftovers.
    assert sorted(p.name for p in context.app_dir.iterdir()) == ["mlartifacts", "mlflow.db", "runs"]
    assert not [p for p in context.app_dir.rglob("*") if p.is_dir() and not any(p.iterdir())]
    configs = json.loads(context.configs_path.read_text())
    assert configs["train"]["max_training_steps"] == 12
    assert configs["model"]["board_value_patterns"] == ["wedge"]
    assert configs["mcts"] == {**configs["mcts"], "algorithm": "turn", "turn_beam_width": 12}
    state = json.loads((context.run_dir / "run_state.json").read_text())
    assert state["global_step"] == 12
    assert state["finished"] is True
    # One sample per position at most: 12 steps of 16 need 192 positions of self-play.
    assert state["buffer_size"] >= 12 * 16
    best = read_checkpoint(context.checkpoints_dir / "best.pt")
    assert best["global_step"] in (6, 12)

    client = MlflowClient(tracking_uri=context.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    assert experiment.artifact_location.startswith("file://" + str(context.app_dir))
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "inproc"
    assert run.info.status == "FINISHED"
    assert run.data.params["train.batch_size"] == "16"
    loss_steps = [m.step for m in client.get_metric_history(run.info.run_id, "Loss/total")]
    assert len(loss_steps) >= 2
    assert loss_steps == sorted(loss_steps)
    assert max(loss_steps) == 12
    assert client.get_metric_history(run.info.run_id, "Episode/score")
    assert client.get_metric_history(run.info.run_id, "Buffer/size")
    (first_step,) = client.get_metric_history(run.info.run_id, "System/seconds_to_first_step")
    assert first_step.step == 1
    # Counted from the process's start (imports included), not from the run's.
    assert tiny_run.launched_before <= first_step.value <= seconds_since_process_start()
    evaluated = client.get_metric_history(run.info.run_id, "Eval/mean_score")
    assert evaluated, "the evaluation during training logged nothing"
    best_scores = client.get_metric_history(run.info.run_id, "Eval/best_mean_score")
    assert max(m.value for m in best_scores) == state["best_eval_mean_score"]
    assert state["best_eval_mean_score"] == max(m.value for m in evaluated)


def test_a_bad_load_checkpoint_exits_2_before_starting_anything(
    tmp_path: Path, tiny_configs: Any
) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    context = RunContext(
        run_name="broken", data_root=tmp_path / "data", load_checkpoint=broken, resume=False
    )
    exit_code = run_training(context, **tiny_configs())
    assert exit_code == 2  # a bad --load-checkpoint is bad input
    assert not ray.is_initialized()
    log = (context.logs_dir / "broken_driver.log").read_text()
    assert "broken.pt" in log


MetricDates = Mapping[str, Sequence[tuple[int, int]]]
"""Metric name -> (step, timestamp in epoch milliseconds) of each value logged."""


def as_utc(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).isoformat(timespec="milliseconds")


def assert_dated_within_in_step_order(dates: MetricDates, *, start_ms: int, end_ms: int) -> None:
    """Every value is dated within the run, and no value is dated before one of an earlier step."""
    for name in DATED_METRICS:
        assert dates.get(name), f"{name} was not logged"
    points = sorted((step, ms, name) for name, history in dates.items() for step, ms in history)
    for step, ms, name in points:
        assert start_ms <= ms <= end_ms, (
            f"{name} at step {step} is dated {as_utc(ms)}, outside the run "
            f"({as_utc(start_ms)} to {as_utc(end_ms)})"
        )
    newest_of_earlier_steps = newest_of_this_step = start_ms
    this_step = None
    for step, ms, name in points:
        if step != this_step:
            newest_of_earlier_steps = max(newest_of_earlier_steps, newest_of_this_step)
            this_step = step
        assert ms >= newest_of_earlier_steps, (
            f"{name} at step {step} is dated {as_utc(ms)}, before a value of an earlier "
            f"step ({as_utc(newest_of_earlier_steps)})"
        )
        newest_of_this_step = max(newest_of_this_step, ms)


def test_mlflow_dates_every_metric_within_the_run_in_step_order(tiny_run: TinyRun) -> None:
    context = tiny_run.context
    client = MlflowClient(tracking_uri=context.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name(context.app_name)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    start_ms, end_ms = run.info.start_time, run.info.end_time
    # The run's own dates are the wall clock of the process that ran it.
    assert tiny_run.started_ms <= start_ms <= end_ms <= tiny_run.finished_ms
    dates = {
        name: [(m.step, m.timestamp) for m in client.get_metric_history(run.info.run_id, name)]
        for name in run.data.metrics
    }
    assert_dated_within_in_step_order(dates, start_ms=start_ms, end_ms=end_ms)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class MlflowServer:
    """`mlflow server` on 127.0.0.1 over a SQLite store, in a session of its own.

    The server runs uvicorn as its child, in the session this starts; `stop` ends
    that session's process group, whose id is the process id of the server started
    here, and waits for the server.
    """

    def __init__(self, backend_store_uri: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "mlflow_server.log"
        command = [
            *(sys.executable, "-m", "mlflow", "server"),
            *("--backend-store-uri", backend_store_uri),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"),
            *("--no-serve-artifacts", "--default-artifact-root", (workdir / "a").as_uri()),
        ]
        # Job execution would start a pool of task consumers this test has no use for.
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            assert self.process.poll() is None, f"mlflow server ended:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"mlflow server not up:\n{self.log.read_text()}"
            time.sleep(0.2)

    def get(self, path: str, **query: str) -> Any:
        url = f"{self.url}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.load(answer)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def mlflow_server(tiny_run: TinyRun, tmp_path: Path) -> Iterator[MlflowServer]:
    server = MlflowServer(tiny_run.context.mlflow_tracking_uri, tmp_path)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def test_mlflow_server_serves_the_same_dates_over_rest(
    tiny_run: TinyRun, mlflow_server: MlflowServer
) -> None:
    experiment = mlflow_server.get(
        "experiments/get-by-name", experiment_name=tiny_run.context.app_name
    )["experiment"]
    (run,) = mlflow_server.post("runs/search", {"experiment_ids": [experiment["experiment_id"]]})[
        "runs"
    ]
    run_id = run["info"]["run_id"]
    start_ms, end_ms = int(run["info"]["start_time"]), int(run["info"]["end_time"])
    assert tiny_run.started_ms <= start_ms <= end_ms <= tiny_run.finished_ms
    dates = {
        latest["key"]: [
            (int(m["step"]), int(m["timestamp"]))
            for m in mlflow_server.get(
                "metrics/get-history", run_id=run_id, metric_key=latest["key"]
            )["metrics"]
        ]
        for latest in run["data"]["metrics"]
    }
    assert_dated_within_in_step_order(dates, start_ms=start_ms, end_ms=end_ms)
    mlflow_server.stop()
    assert mlflow_server.process.returncode is not None
    assert not accepts_connections(mlflow_server.port)
