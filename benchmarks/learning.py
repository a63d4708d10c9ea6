"""Does the default run learn? Figures, not a test: train from scratch for a wall-clock
budget, then play the result against the three baselines on the same seeds.

    uv run python benchmarks/learning.py [--minutes 60] [--games 100] [--simulations K]
    uv run python benchmarks/learning.py --skip-training --run-name NAME   # evaluate only

Training is `apps/train` with its defaults (`--no-resume`; its default step limit and
learning-rate schedule unless `--train-arg` changes them), started as a subprocess and
stopped by SIGINT (as Ctrl-C would) once the budget is spent, if it has not reached its
step limit before (the budget includes Ray's start-up,
about a minute on the loaded 2-core machine): it then saves its checkpoint and exits
130. The run's `runs/<name>/checkpoints/latest.pt` (the checkpoint contract) is then
evaluated by `apps/eval` against every baseline (`BASELINES`) on the same evaluation
seeds, with the run's learning curve from MLflow. The table is printed and every file
is written to `<data-dir>/AlphaTriangle/eval/learning_<name>/`.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from alphatriangle.config import DATA_DIR_NAME, AppPaths, RunContext
from alphatriangle.eval.cli import main as evaluate_main
from alphatriangle.rl.evaluation import BASELINES

REPO = Path(__file__).resolve().parents[1]
SHUTDOWN_GRACE_SECONDS = 300.0
"""Time the interrupted run gets to save its checkpoint and stop Ray."""


def train_for(minutes: float, run_name: str, data_dir: Path, extra: list[str]) -> int:
    """`apps/train` with the defaults for `minutes` of wall clock, then SIGINT; its exit code."""
    log_path = AppPaths(data_dir).app_dir / f"learning_{run_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(REPO / "apps" / "train"),
        *("--run-name", run_name, "--no-resume"),
        *("--data-dir", str(data_dir)),
        *extra,
    ]
    print(f"Training run {run_name} for {minutes:g} min; its output goes to {log_path}")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + minutes * 60
        try:
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(1.0)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # the run saves, then exits 130
                try:
                    process.wait(timeout=SHUTDOWN_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return int(process.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget")
    parser.add_argument("--run-name", default=None, help="default: learning_<timestamp>")
    parser.add_argument("--data-dir", type=Path, default=Path(DATA_DIR_NAME))
    parser.add_argument("--games", type=int, default=100, help="evaluation games per player")
    parser.add_argument(
        "--simulations", type=int, default=None, help="search simulations of the agent"
    )
    parser.add_argument(
        "--skip-training", action="store_true", help="only evaluate the run's latest checkpoint"
    )
    parser.add_argument(
        "--train-arg",
        action="append",
        default=[],
        help="extra argument for apps/train (repeatable), e.g. --train-arg=--config=x.toml",
    )
    args = parser.parse_args()
    data_dir = args.data_dir.expanduser().resolve()
    run_name = args.run_name or datetime.now().strftime("learning_%Y%m%d_%H%M%S")
    run = RunContext(run_name=run_name, data_root=data_dir)
    started = time.monotonic()
    if not args.skip_training:
        code = train_for(args.minutes, run_name, data_dir, args.train_arg)
        print(f"Training stopped with exit code {code} after {time.monotonic() - started:.0f} s")
        if run.run_state_path.is_file():
            print(f"Run state: {json.loads(run.run_state_path.read_text())}")
    checkpoint = run.latest_checkpoint_path
    if not checkpoint.is_file():
        print(f"No checkpoint at {checkpoint}: the run saved none to evaluate.", file=sys.stderr)
        return 1
    out = run.app.evaluations_dir / f"learning_{run_name}"
    eval_args = [
        *("--player", f"run:{run_name}:latest"),
        *(argument for name in BASELINES for argument in ("--player", name)),
        *("--games", str(args.games), "--data-dir", str(data_dir), "--out", str(out)),
    ]
    if args.simulations is not None:
        eval_args += ["--simulations", str(args.simulations)]
    if run.mlflow_db_path.is_file():
        eval_args += ["--run", run_name]
    else:
        print(f"No MLflow store at {run.mlflow_db_path}: no learning curve.", file=sys.stderr)
    code = evaluate_main(eval_args)
    if code != 0:
        return code
    results = json.loads((out / "results.json").read_text())
    means = {p["name"]: p["mean_score"] for p in results["players"]}
    agent = next(name for name in means if name.startswith("run:"))
    print(
        f"Agent {agent}: mean {means[agent]:.2f}; "
        + ", ".join(
            f"{name} {means[name]:.2f} ({means[agent] - means[name]:+.2f})" for name in BASELINES
        )
    )
    curve = out / f"learning_curve_{run_name}.png"
    print(f"Learning curve: {curve if curve.is_file() else 'none (no MLflow metrics)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
