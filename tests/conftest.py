"""`uv run apps/train` and `uv run apps/eval` as a user starts them, as subprocesses, for
every cross-package test.

The `train_app` fixture runs the app to its end (`run`) or in the background with its
output collected line by line (`start`), in this test session's environment. The
`resumed_run` fixture is one tiny run taken through its life once (trained, stopped by
Ctrl-C and by SIGTERM, resumed, started afresh), for every test that reads what such a
run leaves behind: each launch costs half a minute of start-up on 2 cores.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from alphatriangle.nn import read_checkpoint

REPO = Path(__file__).resolve().parents[1]
TINY_TOML = (REPO / "packages" / "alphatriangle-training" / "tests" / "tiny.toml").read_text()
"""The training package's tiny settings: a few seconds per run on 2 cores."""


def app_command(
    app: str, *args: str, env: Mapping[str, str | None] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `uv run apps/APP ARGS` in this test's venv.

    `env` adds variables to this process's environment; a None value removes one. The
    venv is the one this test session runs in, brought to the lock file before the
    tests began (by `uv run` or nox's `uv sync`): `--no-sync` spares each launch a
    second check of it, which costs 2 s here (compiling the workspace's bytecode).
    """
    uv = shutil.which("uv")
    assert uv is not None, "uv must be on PATH (the README's prerequisite)"
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    command = [
        *(uv, "run", "--frozen", "--no-sync", "--project", str(REPO)),
        *(str(REPO / "apps" / app), *args),
    ]
    return command, environment


class RunningTrain:
    """`uv run apps/train ARGS` in the background, its output collected line by line."""

    def __init__(
        self, workdir: Path, *args: str, env: Mapping[str, str | None] | None = None
    ) -> None:
        command, environment = app_command("train", *args, env=env)
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 300.0, since: int = 0) -> re.Match[str]:
        """The first output line from line `since` on matching `pattern`; fails if the run
        ends or time runs out."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines)[since:]:
                match = regex.search(line)
                if match:
                    return match
            assert self.process.poll() is None, f"ended early:\n{self.output}"
            time.sleep(0.2)
        self.process.kill()
        raise AssertionError(f"no line matching {pattern!r} in time:\n{self.output}")

    def wait_for_step(self, at_least: int, timeout: float = 300.0) -> None:
        """Until a progress line shows training step `at_least` or later."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            steps = [int(m) for line in list(self.lines) for m in re.findall(r"step (\d+)/", line)]
            if steps and max(steps) >= at_least:
                return
            assert self.process.poll() is None, f"ended early:\n{self.output}"
            time.sleep(0.2)
        self.process.kill()
        raise AssertionError(f"step {at_least} not reached in time:\n{self.output}")

    def stop(self) -> None:
        """Kill the run if it still runs, and collect what it printed (for a `finally`)."""
        if self.process.poll() is None:
            self.process.kill()
        self.finish(timeout=60)

    def finish(self, timeout: float = 300.0) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


class TrainApp:
    """Starts `uv run apps/train` the way the README tells users to."""

    def run(
        self,
        workdir: Path,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 600.0,
    ) -> subprocess.CompletedProcess[str]:
        """`uv run apps/train ARGS` from `workdir`, to its end."""
        command, environment = app_command("train", *args, env=env)
        return subprocess.run(
            command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=timeout
        )

    def start(
        self, workdir: Path, *args: str, env: Mapping[str, str | None] | None = None
    ) -> RunningTrain:
        """`uv run apps/train ARGS` from `workdir`, in the background."""
        return RunningTrain(workdir, *args, env=env)


class EvalApp:
    """Runs `uv run apps/eval` the way the README tells users to, to its end."""

    def __call__(self, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """`uv run apps/eval ARGS` from `workdir`, in this test session's environment."""
        command, environment = app_command("eval", *args)
        return subprocess.run(
            command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=600
        )


@pytest.fixture
def eval_app() -> EvalApp:
    return EvalApp()


@pytest.fixture
def train_app() -> TrainApp:
    return TrainApp()


@pytest.fixture
def tiny_toml() -> str:
    """The text of the tiny config (write it where a run should find it)."""
    return TINY_TOML


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Launch:
    """One launch of a run, and the run's files as that launch left them."""

    code: int
    output: str
    """stdout and stderr together."""
    files: frozenset[str]
    """Every file under the run's folder, relative to it."""
    state: dict[str, object]
    """run_state.json."""
    latest: dict[str, object]
    """checkpoints/latest.pt."""
    configs: dict[str, object]
    """configs.json."""

    def glob(self, pattern: str) -> list[str]:
        """The run's files (then) that `pattern` matches, as `run_dir.glob` would."""
        parts = pattern.split("/")
        return sorted(
            name
            for name in self.files
            if len(name.split("/")) == len(parts)
            and all(map(fnmatch.fnmatchcase, name.split("/"), parts))
        )


@dataclass(frozen=True)
class ResumedRun:
    """The tiny run `e2e` (seed 3) in `workdir`, launched four times one after another:

    `first` to its step limit of 20; `interrupted` resumed with a limit of 5000 and
    stopped by two Ctrl-C (SIGINT, the second while it saves) after step 23;
    `terminated` resumed again and stopped by SIGTERM three steps later; `fresh` with
    `--no-resume` and a limit of 10.
    """

    workdir: Path
    first: Launch
    interrupted: Launch
    terminated: Launch
    fresh: Launch
    launched_ms: tuple[int, int, int, int]
    """Epoch milliseconds before each of the first three launches, and after the third."""
    mlflow_before_fresh: Path
    """A copy of the MLflow database as the first three launches left it."""

    @property
    def app_dir(self) -> Path:
        return self.workdir / ".alphatriangle_data" / "AlphaTriangle"

    @property
    def run_dir(self) -> Path:
        return self.app_dir / "runs" / "e2e"


def _launched(run_dir: Path, code: int, output: str) -> Launch:
    """What a launch that ended with `code` printed and left in `run_dir`."""
    try:
        return Launch(
            code=code,
            output=output,
            files=frozenset(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()),
            state=json.loads((run_dir / "run_state.json").read_text()),
            latest=read_checkpoint(run_dir / "checkpoints" / "latest.pt"),
            configs=json.loads((run_dir / "configs.json").read_text()),
        )
    except Exception as error:
        raise AssertionError(
            f"exit {code}, and its files cannot be read ({error}):\n{output}"
        ) from error


def _step_of(launch: Launch) -> int:
    step = launch.state["global_step"]
    assert isinstance(step, int)
    return step


@pytest.fixture(scope="session")
def resumed_run(tmp_path_factory: pytest.TempPathFactory) -> ResumedRun:
    workdir = tmp_path_factory.mktemp("resumed")
    run_dir = workdir / ".alphatriangle_data" / "AlphaTriangle" / "runs" / "e2e"
    (workdir / "tiny.toml").write_text(TINY_TOML)
    base = ["--config", "tiny.toml", "--run-name", "e2e", "--seed", "3"]
    longer = [*base, "--max-training-steps", "5000"]
    app = TrainApp()
    running: list[RunningTrain] = []
    try:
        launched_ms = [now_ms()]
        done = app.run(workdir, *base, "--max-training-steps", "20")
        first = _launched(run_dir, done.returncode, done.stdout + done.stderr)
        assert first.code == 0, first.output

        launched_ms.append(now_ms())
        second = app.start(workdir, *longer)
        running.append(second)
        second.wait_for(f"Resuming run e2e at step 20 with {first.state['buffer_size']} positions")
        second.wait_for_step(23)
        second.process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        second.process.send_signal(signal.SIGINT)
        interrupted = _launched(run_dir, second.finish(), second.output)

        launched_ms.append(now_ms())
        third = app.start(workdir, *longer)
        running.append(third)
        step = _step_of(interrupted)
        third.wait_for(
            f"Resuming run e2e at step {step} with {interrupted.state['buffer_size']} positions"
        )
        third.wait_for_step(step + 3)
        third.process.send_signal(signal.SIGTERM)
        terminated = _launched(run_dir, third.finish(), third.output)
        launched_ms.append(now_ms())

        # The fresh start opens a new MLflow run: keep the database the resumes left.
        mlflow_before_fresh = workdir / "mlflow_before_fresh.db"
        shutil.copyfile(run_dir.parents[1] / "mlflow.db", mlflow_before_fresh)
        done = app.run(workdir, *base, "--max-training-steps", "10", "--no-resume")
        fresh = _launched(run_dir, done.returncode, done.stdout + done.stderr)
    finally:
        for launch in running:
            launch.stop()
    return ResumedRun(
        workdir=workdir,
        first=first,
        interrupted=interrupted,
        terminated=terminated,
        fresh=fresh,
        launched_ms=(launched_ms[0], launched_ms[1], launched_ms[2], launched_ms[3]),
        mlflow_before_fresh=mlflow_before_fresh,
    )
