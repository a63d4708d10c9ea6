"""Soak run: train for a while and print each process's memory over time; asserts nothing.

    uv run python benchmarks/soak.py [--seconds 600] [--interval 30] [--config FILE.toml]

Runs the real pipeline (Ray, self-play workers, the stats actor, MLflow on SQLite)
in a temporary data directory with no step limit, and every `--interval` seconds
prints the training step, the buffer fill and the proportional set size (PSS from
/proc, shared pages split between the processes that map them) of the driver, of each
self-play worker and of the stats actor. Memory should level off once the replay
buffer is full; a figure that keeps climbing is a leak.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from alphatriangle.config import ConfigOverrides, RunContext, read_config_file

# The training package sets the variables Ray reads before any of it imports Ray.
from alphatriangle.training import TrainingLoop, WorkerManager, setup_training_components
from alphatriangle.training.pipeline.runner import shutdown_run


def actor_pid(actor: Any) -> int:
    """The process id of a Ray actor, asked of the actor itself."""
    import ray  # after the training package set Ray's environment

    return int(ray.get(actor.__ray_call__.remote(lambda _self: os.getpid()), timeout=60))


def main() -> None:
    from default_run import pss_mib  # it imports Ray: after the training package

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long to train")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--config", type=Path, default=None, help="TOML overrides, as for train")
    args = parser.parse_args()

    overrides = read_config_file(args.config) if args.config else ConfigOverrides()
    overrides.set("train", "max_training_steps", None)
    configs = {
        f"{name}_config": overrides.build(name, "soak")
        for name in ("env", "model", "train", "mcts")
    }
    with tempfile.TemporaryDirectory(prefix="alphatriangle_soak_") as data_root:
        context = RunContext(run_name="soak", data_root=Path(data_root))
        components, owned_ray = setup_training_components(context, **configs)
        if components is None:
            raise SystemExit("setup failed; see the log above")
        loop = TrainingLoop(components)
        workers = components.workers
        assert isinstance(workers, WorkerManager)
        thread = threading.Thread(target=loop.run, daemon=True)
        try:
            thread.start()
            while not workers.workers:
                time.sleep(0.2)
            pids: dict[int, int] = {}  # id(actor) -> pid; a replaced worker gets looked up anew
            stats_pid = actor_pid(components.trieye_actor)
            header = ["time", "step", "buffer", "driver MiB"]
            header += [f"worker{i} MiB" for i in range(components.num_workers)] + ["stats MiB"]
            print(" | ".join(header), flush=True)
            started = time.monotonic()
            while time.monotonic() - started < args.seconds and thread.is_alive():
                row = [
                    f"{time.monotonic() - started:6.0f}s",
                    f"{loop.global_step}",
                    f"{len(components.buffer)}/{components.buffer.capacity}",
                    f"{pss_mib(os.getpid()):.0f}",
                ]
                for worker in list(workers.workers):
                    if id(worker) not in pids:
                        pids[id(worker)] = actor_pid(worker)
                    row.append(f"{pss_mib(pids[id(worker)]):.0f}")
                row.append(f"{pss_mib(stats_pid):.0f}")
                print(" | ".join(row), flush=True)
                time.sleep(
                    min(args.interval, max(0.0, args.seconds - (time.monotonic() - started)))
                )
            print(f"restarted workers: {workers.restarts}", flush=True)
        finally:
            loop.request_stop()
            thread.join(timeout=300)
            shutdown_run(components, owned_ray)


if __name__ == "__main__":
    main()
