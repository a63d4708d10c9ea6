"""The default run as a user starts it: time to the first training step, and memory.

    uv run python benchmarks/default_run.py [--seconds 120] [--interval 10] [--json FILE]

Starts `apps/train` with its defaults in a temporary data directory, as a subprocess,
and reads its driver log for the phases of start-up (Ray up, workers started, first
training step). Every `--interval` seconds it sums the proportional set size (PSS,
from /proc/PID/smaps_rollup: shared pages split between the processes that map them,
so the sum is what the run really costs) over the whole process tree: the driver, the
self-play workers, the stats actor, evaluation tasks and Ray's own processes. It also
reports the median self-play moves/s and training steps/s of the run's progress
lines once training has started. After `--seconds` it stops the run with SIGINT, as
Ctrl-C would, and waits for it to save.

The replay buffer fills in about 8 minutes at the defaults on 2 cores; until then the
report adds the buffer's unfilled part, at the bytes per position it stores, as a
projection for a full buffer. Run with `--seconds 600` to measure a full buffer.
Figures, not a test: nothing is asserted. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from alphatriangle.config import EnvConfig, RunContext, TrainConfig
from alphatriangle.nn import FeatureSpec
from alphatriangle.rl import stored_bytes_per_position

REPO = Path(__file__).resolve().parents[1]
RUN_NAME = "default_run_benchmark"
PHASES = {
    "ray_up": re.compile(r"Ray sees \d+ CPU"),
    "workers_started": re.compile(r"Started \d+ self-play worker"),
    "first_step": re.compile(r"First training step"),
}
BUFFER_FILL = re.compile(r"buffer ([\d.]+)(k?)/")
RATES = re.compile(r"self-play (?P<moves>\d+) moves/s \| (?P<steps>[\d.]+) steps/s")


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree[parent].append(int(entry.name))
    return tree


def process_tree(root: int) -> list[int]:
    tree, found, todo = children_of(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def pss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def role(pid: int, driver: int) -> str:
    """What a process of the run is, from its command line."""
    if pid == driver:
        return "driver"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    for marker, name in (
        ("SelfPlayWorker", "self-play workers"),
        ("TrieyeActor", "stats actor"),
        ("evaluate", "evaluation task"),
    ):
        if marker in command:
            return name
    return "Ray's own processes"


def memory_by_role(driver: int) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for pid in process_tree(driver):
        totals[role(pid, driver)] += pss_mib(pid)
    totals.pop("gone", None)
    return dict(totals)


def phase_seconds(log_path: Path, launched: float) -> dict[str, float]:
    """Seconds from launch to each phase line of the driver log (its timestamps are ms)."""
    found: dict[str, float] = {}
    if not log_path.exists():
        return found
    for line in log_path.read_text().splitlines():
        for phase, pattern in PHASES.items():
            if phase not in found and pattern.search(line):
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found[phase] = stamp - launched
    return found


def buffer_fill(log_path: Path) -> int:
    matches = BUFFER_FILL.findall(log_path.read_text()) if log_path.exists() else []
    if not matches:
        return 0
    number, thousands = matches[-1]
    return int(float(number) * (1000 if thousands else 1))


def training_rates(log_path: Path) -> tuple[float | None, float | None]:
    """Median steps/s and self-play moves/s of the progress lines once training runs."""
    lines = log_path.read_text().splitlines() if log_path.exists() else []
    rates = [(float(m["steps"]), float(m["moves"])) for line in lines if (m := RATES.search(line))]
    rates = [r for r in rates if r[0] > 0][1:]  # the first line still averages the fill
    if not rates:
        return None, None
    return statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the run trains")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    spec = FeatureSpec.from_env(EnvConfig())
    per_position = stored_bytes_per_position(
        (spec.grid_channels, spec.rows, spec.cols), spec.other_dim, spec.action_dim
    )
    capacity = TrainConfig().buffer_capacity
    with tempfile.TemporaryDirectory(prefix="alphatriangle_default_run_") as data_dir:
        log_path = RunContext(run_name=RUN_NAME, data_root=Path(data_dir)).driver_log_path
        command = [sys.executable, str(REPO / "apps" / "train"), "--run-name", RUN_NAME]
        command += ["--no-resume", "--data-dir", data_dir]
        launched = time.time()
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        samples: list[dict[str, Any]] = []
        print("   time | buffer  | total MiB | by process (PSS MiB)", flush=True)
        try:
            while process.poll() is None and time.time() - launched < args.seconds:
                time.sleep(min(args.interval, max(0.0, args.seconds - (time.time() - launched))))
                by_role = memory_by_role(process.pid)
                rounded = {k: round(v) for k, v in sorted(by_role.items())}
                sample = {
                    "seconds": round(time.time() - launched, 1),
                    "buffer": buffer_fill(log_path),
                    "total_mib": round(sum(by_role.values())),
                    "by_process_mib": rounded,
                }
                samples.append(sample)
                parts = ", ".join(f"{k} {v}" for k, v in rounded.items())
                print(
                    f"{sample['seconds']:6.0f}s | {sample['buffer']:7d} | "
                    f"{sample['total_mib']:9d} | {parts}",
                    flush=True,
                )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            exit_code = process.wait(timeout=300)
        phases = phase_seconds(log_path, launched)
        steps_per_s, moves_per_s = training_rates(log_path)

    last = samples[-1] if samples else {"total_mib": 0, "buffer": 0}
    unfilled_mib = max(0, capacity - last["buffer"]) * per_position / 2**20
    figures = {
        "seconds_to_ray_up": phases.get("ray_up"),
        "seconds_to_workers_started": phases.get("workers_started"),
        "seconds_to_first_training_step": phases.get("first_step"),
        "self_play_moves_per_s_while_training": moves_per_s,
        "training_steps_per_s": steps_per_s,
        "peak_total_pss_mib": max((s["total_mib"] for s in samples), default=0),
        "last_total_pss_mib": last["total_mib"],
        "buffer_positions": last["buffer"],
        "buffer_capacity": capacity,
        "buffer_bytes_per_position": per_position,
        "projected_full_buffer_pss_mib": round(last["total_mib"] + unfilled_mib),
        "exit_code": exit_code,
        "samples": samples,
    }
    print()
    for key, value in figures.items():
        if key != "samples":
            print(f"{key:32s} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
