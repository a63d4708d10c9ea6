"""`uv run apps/train` and `uv run apps/eval` as a user starts them, as subprocesses, for
every cross-package test.

The `train_app` fixture runs the app to its end (`run`) or in the background with its
output collected line by line (`start`), in this test session's environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY_TOML = (REPO / "packages" / "alphatriangle-training" / "tests" / "tiny.toml").read_text()
"""The training package's tiny settings: a few seconds per run on 2 cores."""


def train_command(
    *args: str, env: Mapping[str, str | None] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `uv run apps/train ARGS` in this test's venv.

    `env` adds variables to this process's environment; a None value removes one.
    """
    uv = shutil.which("uv")
    assert uv is not None, "uv must be on PATH (the README's prerequisite)"
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    command = [uv, "run", "--frozen", "--project", str(REPO), str(REPO / "apps" / "train"), *args]
    return command, environment


class RunningTrain:
    """`uv run apps/train ARGS` in the background, its output collected line by line."""

    def __init__(
        self, workdir: Path, *args: str, env: Mapping[str, str | None] | None = None
    ) -> None:
        command, environment = train_command(*args, env=env)
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
        command, environment = train_command(*args, env=env)
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
        uv = shutil.which("uv")
        assert uv is not None, "uv must be on PATH (the README's prerequisite)"
        environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
        command = [
            *(uv, "run", "--frozen", "--project", str(REPO), str(REPO / "apps" / "eval")),
            *args,
        ]
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
