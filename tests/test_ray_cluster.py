"""`uv run apps/train` on real Ray clusters started with `ray start`, on this machine.

Every cluster is the README's (`ray get-auth-token --generate`, then `ray start --head`
and `ray start --address`, each with `--block`), started as subprocesses with token
authentication on, as Ray turns it on when it finds a token. What keeps the tests
apart from other Ray users of the machine, and from each other: a HOME of their own
(so `~/.ray/auth_token` is theirs), a Ray temp directory of their own (so is
`ray_current_cluster`), free ports picked at run time for every port a node opens,
and no dashboard. Each test ends exactly the processes its `ray start` commands
started, by process id, and checks they are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from alphatriangle.nn import read_checkpoint

if TYPE_CHECKING:
    from conftest import TrainApp  # the fixture's type (conftest is not importable)

RAY = str(Path(sys.prefix) / "bin" / "ray")
STARTUP_SECONDS = 120.0
"""Longest a `ray start` may take to say the node is up, on a busy 2-core machine."""
SHORT_ID = 12
"""Hex digits of a node id the run's log shows."""
OUTSIDE_RAY_SETTINGS = ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
"""Settings this test process may carry that must not reach the clusters under test."""


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports on the loopback interface that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, parent, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def started_at(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot): with the pid, it names one process,
    so a pid the system gives again to someone else's process is never signalled."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def descendants(root: int) -> set[int]:
    """Every live process below `root` in the process tree (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def _answer_ctrl_c() -> None:
    """In the child, before `ray start` runs: SIGINT does what Ctrl-C does in a terminal,
    even when this test run was started with SIGINT ignored (in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RayNode:
    """One `ray start ... --block` subprocess: a Ray node, and every process it starts."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [RAY, "start", "--block", *args],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            # Its own process group, as in a terminal of its own: a Ctrl-C of the test
            # run does not reach it, and `stop` can press Ctrl-C there.
            start_new_session=True,
            preexec_fn=_answer_ctrl_c,
        )
        self.started: dict[int, int | None] = {self.process.pid: started_at(self.process.pid)}
        """Process id -> start time of every process this node has been seen to run."""

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "Ray runtime started" not in self.log.read_text():
            assert self.process.poll() is None, f"ray start ended:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"ray start too slow:\n{self.log.read_text()}"
            time.sleep(0.3)
        self.note_processes()

    def note_processes(self) -> set[int]:
        """The node's processes now, added to those it is known to have started."""
        now = descendants(self.process.pid)
        for pid in now:
            self.started.setdefault(pid, started_at(pid))
        return now

    def still_running(self) -> list[int]:
        """The processes this node started that still run (the same processes, not
        others that were given a freed pid)."""
        return [
            pid
            for pid, start in self.started.items()
            if is_running(pid) and start is not None and started_at(pid) == start
        ]

    def _kill_all(self) -> None:
        for pid in self.still_running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    @property
    def raylet_pid(self) -> int:
        (raylet,) = [p for p in self.note_processes() if "raylet/raylet " in command_line(p)]
        return raylet

    @property
    def node_id(self) -> str:
        match = re.search(r"--node_id=([0-9a-f]+)", command_line(self.raylet_pid))
        assert match is not None
        return match.group(1)

    def processes_running(self, marker: str) -> list[int]:
        """This node's processes whose command line (a Ray worker's title) shows `marker`."""
        return [p for p in self.note_processes() if marker in command_line(p)]

    def kill_hard(self) -> None:
        """SIGKILL every process of the node at once: it dies without cleaning up."""
        self.note_processes()
        self._kill_all()
        self.process.wait(timeout=30)
        self._wait_gone()

    def stop(self) -> None:
        """Ctrl-C in the node's terminal, as the README says (SIGINT to the process group
        of its `ray start`), then SIGKILL whatever of its processes is left, by process
        id; asserts that Ctrl-C was enough and that none of them runs any more."""
        stopped_by_ctrl_c = True
        if self.process.poll() is None:
            self.note_processes()
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stopped_by_ctrl_c = False
                self.process.kill()
                self.process.wait(timeout=30)
        self._wait_gone()
        self._log_file.close()
        assert stopped_by_ctrl_c, f"Ctrl-C did not stop ray start:\n{self.log.read_text()}"

    def _wait_gone(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.still_running() and time.monotonic() < deadline:
            time.sleep(0.2)
        self._kill_all()
        time.sleep(0.5)
        left = self.still_running()
        assert not left, f"still running: {[command_line(p)[:80] for p in left]}"


class LocalCluster:
    """Ray nodes on this machine with a HOME and a Ray temp directory of their own."""

    def __init__(self, root: Path, ray_tmp: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.ray_tmp = ray_tmp
        self.nodes: list[RayNode] = []
        self.head_port = 0
        self.env: dict[str, str | None] = {
            "HOME": str(self.home),
            "RAY_TMPDIR": str(ray_tmp),
            **dict.fromkeys(OUTSIDE_RAY_SETTINGS),
        }
        """What the cluster's commands and the app run with, over this process's
        environment (None: removed)."""

    def environment(self, **extra: str) -> dict[str, str]:
        """This process's environment with `env` and `extra` applied."""
        merged: dict[str, str | None] = {**os.environ, **self.env, **extra}
        return {name: value for name, value in merged.items() if value is not None}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.head_port}"

    def generate_token(self) -> str:
        """`ray get-auth-token --generate`: the token `ray start --head` will then require."""
        result = subprocess.run(
            [RAY, "get-auth-token", "--generate"],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        token = (self.home / ".ray" / "auth_token").read_text().strip()
        assert token
        return token

    def start_head(self, cpus: int) -> RayNode:
        port, *others = free_ports(9)
        self.head_port = port
        args = ["--head", "--port", str(port), "--num-cpus", str(cpus)]
        args += ["--include-dashboard", "false", *self._node_ports(others)]
        args += ["--ray-client-server-port", str(others[6]), "--dashboard-port", str(others[7])]
        return self._start(args, "head")

    def add_node(self, cpus: int) -> RayNode:
        """A second node; `ray start --address` needs token mode set explicitly."""
        args = [
            "--address",
            self.address,
            "--num-cpus",
            str(cpus),
            *self._node_ports(free_ports(6)),
        ]
        return self._start(args, f"node{len(self.nodes)}", {"RAY_AUTH_MODE": "token"})

    @staticmethod
    def _node_ports(ports: list[int]) -> list[str]:
        names = (
            "--node-manager-port",
            "--object-manager-port",
            "--dashboard-agent-listen-port",
            "--dashboard-agent-grpc-port",
            "--runtime-env-agent-port",
            "--metrics-export-port",
        )
        return [
            item for name, port in zip(names, ports, strict=False) for item in (name, str(port))
        ]

    def _start(self, args: list[str], name: str, extra: dict[str, str] | None = None) -> RayNode:
        node = RayNode(args, self.environment(**(extra or {})), self.root / f"{name}.log")
        self.nodes.append(node)
        node.wait_until_up()
        return node

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    # Ray's socket paths must stay under 108 characters: a short temp directory.
    ray_tmp = Path(tempfile.mkdtemp(prefix="rt"))
    local = LocalCluster(tmp_path, ray_tmp)
    try:
        yield local
    finally:
        local.stop()
        shutil.rmtree(ray_tmp, ignore_errors=True)


def logged_seconds(output: str, first: str, last: str) -> int:
    """Seconds between the log lines (`HH:MM:SS message`) that contain `first` and `last`:
    time the run itself spent, without uv's and the imports' start-up."""

    def clock(text: str) -> int:
        match = re.search(rf"^(\d\d):(\d\d):(\d\d) .*{re.escape(text)}", output, re.MULTILINE)
        assert match is not None, f"no log line with {text!r}:\n{output}"
        hours, minutes, seconds = (int(g) for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds

    return (clock(last) - clock(first)) % 86400


def run_state(workdir: Path, name: str) -> dict[str, object]:
    path = workdir / ".alphatriangle_data" / "AlphaTriangle" / "runs" / name / "run_state.json"
    state: dict[str, object] = json.loads(path.read_text())
    return state


def test_a_token_cluster_is_joined_by_its_address_and_left_alone_without_one(
    tmp_path: Path, cluster: LocalCluster, train_app: TrainApp, tiny_toml: str
) -> None:
    """One cluster, as the README starts it: joined with `--ray-address` (and refused with
    the wrong token); then, with no address, a run starts its own Ray beside the live
    head recorded in `ray_current_cluster`, and after the head is killed, beside its
    stale record."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "tiny.toml").write_text(tiny_toml)
    cluster.generate_token()
    head = cluster.start_head(cpus=1)
    assert "Token authentication is enabled" in head.log.read_text()
    record = cluster.ray_tmp / "ray" / "ray_current_cluster"
    assert record.read_text().strip().endswith(f":{cluster.head_port}")

    # The wrong token: refused, exit 2 within the time limit, saying what to set.
    refused = train_app.run(
        workdir,
        *("--ray-address", cluster.address, "--ray-connect-timeout", "8"),
        *("--config", "tiny.toml", "--run-name", "refused"),
        env={**cluster.env, "RAY_AUTH_TOKEN": "not-the-cluster-token"},
        timeout=120,
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    # Ray alone retries a refused driver for 20 s: here it gives up within the limit.
    joining = f"Joining the Ray cluster at {cluster.address}"
    assert logged_seconds(refused.stderr, joining, "Cannot start run refused") <= 8 + 1
    assert f"cannot join the Ray cluster at {cluster.address}" in refused.stderr
    assert "RAY_AUTH_TOKEN" in refused.stderr
    assert "ray get-auth-token" in refused.stderr

    # The token where `ray start --head` keeps it, no RAY_AUTH_MODE, and the README's
    # command (no --run-name: the newest unfinished run is looked for first): it joins.
    joined = train_app.run(
        workdir,
        *("--ray-address", cluster.address, "--config", "tiny.toml"),
        *("--max-training-steps", "10"),
        env=cluster.env,
        timeout=300,
    )
    output = joined.stdout + joined.stderr
    assert joined.returncode == 0, output
    assert f"Joined the Ray cluster at {cluster.address}: 1 node(s)" in output
    assert f"this driver runs on node {head.node_id[:SHORT_ID]}" in output
    assert "step 10/10" in output
    (state_file,) = (workdir / ".alphatriangle_data" / "AlphaTriangle" / "runs").glob(
        "run_*/run_state.json"
    )
    assert json.loads(state_file.read_text())["global_step"] == 10
    # The cluster is left running: its head and raylet are the ones started here.
    assert head.process.poll() is None
    assert is_running(head.raylet_pid)
    assert head.processes_running("gcs_server")

    # No address, a live head recorded: the run does not join it.
    assert record.read_text().strip().endswith(f":{cluster.head_port}")
    args = ("--config", "tiny.toml", "--max-training-steps", "5")
    alive = train_app.run(workdir, *args, "--run-name", "beside", env=cluster.env, timeout=300)
    output = alive.stdout + alive.stderr
    assert alive.returncode == 0, output
    started = re.search(r"Started a private local Ray \(GCS at [^:]+:(\d+)\)", output)
    assert started is not None, output
    assert int(started.group(1)) != cluster.head_port
    assert "Joined" not in output

    # The recorded head killed (its record stays): Ray alone would retry it forever.
    head.kill_hard()
    assert record.read_text().strip().endswith(f":{cluster.head_port}")
    stale = train_app.run(workdir, *args, "--run-name", "stale", env=cluster.env, timeout=300)
    output = stale.stdout + stale.stderr
    assert stale.returncode == 0, output
    assert "Started a private local Ray" in output
    assert run_state(workdir, "stale")["global_step"] == 5


def test_an_address_where_nothing_listens_exits_2_within_the_limit(
    tmp_path: Path, train_app: TrainApp
) -> None:
    (port,) = free_ports(1)
    address = f"127.0.0.1:{port}"
    result = train_app.run(
        tmp_path, "--ray-address", address, "--ray-connect-timeout", "3", timeout=120
    )
    assert result.returncode == 2, result.stdout + result.stderr
    # Ray alone retries an address where nothing listens for many minutes.
    joining = f"Joining the Ray cluster at {address} (for at most 3 s)"
    assert 3 - 1 <= logged_seconds(result.stderr, joining, "Cannot start run") <= 3 + 1
    assert f"no Ray cluster answers at {address}" in result.stderr
    assert not list(tmp_path.rglob("*.pt"))


def test_a_port_that_is_not_a_ray_head_exits_2_at_the_limit(
    tmp_path: Path, train_app: TrainApp
) -> None:
    # Something accepts connections but never answers as a Ray head would: Ray's own
    # client waits there for minutes, inside a call nothing interrupts.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        result = train_app.run(
            tmp_path, "--ray-address", address, "--ray-connect-timeout", "4", timeout=120
        )
    assert result.returncode == 2, result.stdout + result.stderr
    joining = f"Joining the Ray cluster at {address} (for at most 4 s)"
    gave_up = f"the Ray cluster at {address} did not let this driver join within 4 s"
    assert 4 - 1 <= logged_seconds(result.stderr, joining, gave_up) <= 4 + 1
    assert f"error: {gave_up}" in result.stderr
    assert not list(tmp_path.rglob("*.pt"))


def test_a_two_node_run_survives_losing_a_node(
    tmp_path: Path, cluster: LocalCluster, train_app: TrainApp, tiny_toml: str
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    # Training starts at 200 positions and is held to half a sample per position: the
    # 120 steps need 3,840 positions of self-play, most of them after the node is lost
    # (at most about 250 moves/s here), so the run goes on for a while without it.
    steps = 120
    # The tree search makes a position per move: the fastest to fill the buffer.
    head, _, _ = tiny_toml.partition("[mcts]")
    (workdir / "two.toml").write_text(
        head.replace(
            "min_buffer_size_to_train = 700",
            "min_buffer_size_to_train = 200\nmax_samples_per_position = 0.5",
        )
        + '[mcts]\nalgorithm = "gumbel"\nmax_simulations = 4\ngumbel_max_considered_actions = 4\n'
    )
    cluster.generate_token()
    # Ray notices a lost node by missed health checks (about 12 s by default); sooner here.
    cluster.env.update(
        {"RAY_health_check_period_ms": "1000", "RAY_health_check_failure_threshold": "4"}
    )
    head = cluster.start_head(cpus=2)
    second = cluster.add_node(cpus=1)
    head_id, second_id = head.node_id[:SHORT_ID], second.node_id[:SHORT_ID]

    run = train_app.start(
        workdir,
        *("--ray-address", cluster.address, "--config", "two.toml", "--workers", "2"),
        *("--run-name", "lost", "--max-training-steps", str(steps)),
        env=cluster.env,
    )
    try:
        run.wait_for(
            rf"Joined the Ray cluster at .*: 2 node\(s\); this driver runs on node {head_id}"
        )
        run.wait_for(rf"The stats actor runs on the driver's node {head_id}")
        placed = {
            run.wait_for(rf"Self-play worker {w} runs on node (\w+)").group(1): w for w in (0, 1)
        }
        assert set(placed) == {head_id, second_id}  # spread over both nodes
        lost_worker = placed[second_id]
        # Processes, not just the log: the stats actor's worker process hangs under the
        # head's raylet, and each raylet runs one self-play worker.
        assert [
            p for p in head.processes_running("TrieyeActor") if p in descendants(head.raylet_pid)
        ]
        assert not second.processes_running("TrieyeActor")
        assert len(head.processes_running("SelfPlayWorker")) == 1
        assert len(second.processes_running("SelfPlayWorker")) == 1

        killed_at = len(run.lines)
        os.kill(second.raylet_pid, signal.SIGKILL)
        run.wait_for(rf"Self-play worker {lost_worker} on node {second_id} .*died", since=killed_at)
        run.wait_for(rf"Self-play worker {lost_worker} runs on node {head_id}", since=killed_at)
        lost_node = rf"Ray node {second_id} .*left the cluster"
        run.wait_for(rf"{lost_node} .*worker\(s\) {lost_worker} ran there", since=killed_at)
        code = run.finish()
    finally:
        run.stop()
    output = run.output
    assert code == 0, output
    assert f"step {steps}/{steps}" in output
    assert f"Stopping 2 self-play worker(s) (2 on node {head_id}" in output
    state = run_state(workdir, "lost")
    assert state["global_step"] == steps
    assert state["finished"] is True
    counters = state["counters"]
    assert isinstance(counters, dict)
    assert counters["worker_restarts"] >= 1
    latest = read_checkpoint(
        workdir
        / ".alphatriangle_data"
        / "AlphaTriangle"
        / "runs"
        / "lost"
        / "checkpoints"
        / "latest.pt"
    )
    assert latest["global_step"] == steps
    # The lost node's `ray start` ended with its raylet; the head still runs.
    second.process.wait(timeout=60)
    assert head.process.poll() is None


REPO = Path(__file__).resolve().parents[1]
TESTS_THAT_START_RAY = (
    "packages/alphatriangle-rl/tests/test_self_play.py::"
    "test_worker_through_ray_on_a_small_board_is_repeatable",
    "packages/alphatriangle-training/tests/test_periodic_eval.py",
)
"""The package tests that call `ray.init` themselves (the rest start Ray through the
app's own `init_ray`, which the two tests above already run beside a cluster)."""


def run_tests_that_start_ray(cluster: LocalCluster, phase: str) -> None:
    """The package tests that start Ray, in a pytest of their own, with the cluster's
    HOME and Ray temp directory (so its `ray_current_cluster` record and its token):
    they must pass, each on a private Ray."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *TESTS_THAT_START_RAY, "-p", "no:cacheprovider", "-q"],
        cwd=REPO,
        env=cluster.environment(RAY_ENABLE_UV_RUN_RUNTIME_ENV="0"),
        capture_output=True,
        text=True,
        timeout=600,  # a test that joins a dead recorded head retries forever
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{phase}:\n{output}"
    assert f"{len(TESTS_THAT_START_RAY)} passed" in output, f"{phase}:\n{output}"


def test_the_tests_that_start_ray_pass_beside_a_cluster_and_a_stale_record(
    cluster: LocalCluster,
) -> None:
    """A researcher's workstation: a `ray start --head` cluster with token authentication,
    recorded in `ray_current_cluster`; then a record of a head that is gone. The tests
    that start Ray pass beside both, and leave every process of the cluster running."""
    cluster.generate_token()
    head = cluster.start_head(cpus=1)
    before = head.note_processes() | {head.process.pid}
    record = cluster.ray_tmp / "ray" / "ray_current_cluster"
    recorded = record.read_text()
    assert recorded.strip().endswith(f":{cluster.head_port}")

    run_tests_that_start_ray(cluster, "a live cluster recorded")

    (dead_port,) = free_ports(1)
    record.write_text(f"127.0.0.1:{dead_port}")
    try:
        run_tests_that_start_ray(cluster, "a stale record of a dead head")
    finally:
        record.write_text(recorded)

    # Untouched: every process the cluster ran before still runs (the same processes).
    still = set(head.still_running())
    assert before <= still, f"ended: {[command_line(p)[:80] for p in before - still]}"
    assert head.process.poll() is None
    assert head.processes_running("gcs_server")
