"""How strong does a run get in a wall-clock budget? Figures, not a test: train from scratch
once per seed, then play every run and every baseline on the same evaluation seeds.

    uv run python benchmarks/learning.py [--minutes 60] [--seeds 42 7] [--label NAME]
        [--train-arg=--config=variant.toml ...] [--games 100] [--simulations K]
    uv run python benchmarks/learning.py --skip-training --label NAME --seeds 42 7

Each seed is one `apps/train --seed S --no-resume --max-minutes M` run, in sequence, named
`learning_<label>_s<S>`: the run stops itself when its budget is spent (its learning-rate
schedule and PER beta anneal over that budget), saves and exits 0. A run still going
`STOP_GRACE_MINUTES` after its budget is stopped with SIGINT, as Ctrl-C would. Then one
`apps/eval` plays each run's `checkpoints/latest.pt` (with the search it was trained with,
which the checkpoint records, noise off; `--simulations` sets a tree search's simulations)
and every baseline (`BASELINES`; the `planner` is the turn search with its learned part
switched off) on the
same `--games` evaluation seeds. The table (one row per seed, their mean and spread,
then the baselines) is printed and written, with the evaluation's `results.json`, to
`<data-dir>/AlphaTriangle/eval/learning_<label>/`.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pooled_table

from alphatriangle.config import DATA_DIR_NAME, AppPaths, RunContext
from alphatriangle.eval.cli import main as evaluate_main
from alphatriangle.rl.evaluation import BASELINES
from alphatriangle.training.store.run_state import read_run_state

REPO = Path(__file__).resolve().parents[1]
STOP_GRACE_MINUTES = 10.0
"""A run gets this long past its budget (start-up, the last save) before it is interrupted."""
SHUTDOWN_GRACE_SECONDS = 300.0
"""Time an interrupted run gets to save its checkpoint and stop Ray."""


def run_name_for(label: str, seed: int) -> str:
    return f"learning_{label}_s{seed}"


def train_once(
    *, minutes: float, seed: int, run_name: str, data_dir: Path, extra: list[str]
) -> tuple[int, float]:
    """One `apps/train` run with a budget of `minutes`; (its exit code, wall seconds)."""
    log_path = AppPaths(data_dir).app_dir / f"{run_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(REPO / "apps" / "train"),
        *("--run-name", run_name, "--no-resume", "--seed", str(seed)),
        *("--max-minutes", f"{minutes:g}", "--data-dir", str(data_dir)),
        *extra,
    ]
    print(f"Training {run_name} for {minutes:g} min; its output goes to {log_path}", flush=True)
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = started + (minutes + STOP_GRACE_MINUTES) * 60
        try:
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(1.0)
        finally:
            if process.poll() is None:
                why = "past its budget" if time.monotonic() >= deadline else "interrupted"
                print(f"{run_name} is still running ({why}): stopping it with SIGINT.")
                process.send_signal(signal.SIGINT)  # the run saves, then exits 130
                try:
                    process.wait(timeout=SHUTDOWN_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return int(process.returncode), time.monotonic() - started


def stop_on_signals() -> None:
    """Ctrl-C or SIGTERM end the benchmark and, through `train_once`'s cleanup, the run it
    is training, which saves first. Also when started in the background, where a shell
    hands SIGINT in ignored, and the run (in a session of its own) would live on."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def run_state(data_dir: Path, run_name: str) -> dict[str, Any]:
    """The run's run-state file, or {} when it is missing or unreadable."""
    path = RunContext(run_name=run_name, data_root=data_dir).run_state_path
    return read_run_state(path) or {}


PAIRED_WITH = ("planner", "expectimax")
"""Every row's paired differences are taken against these players, game by game: the
planner (the one-ply search, hand-made value) and the same search as the default agent
with its learned part switched off (the ply past the refill, hand-made value)."""


def paired_difference(player: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """`+d ± se`: the mean of the game-by-game differences to `reference` on the same
    seeds, with the standard error of that mean ("" without a reference)."""
    if reference is None or player is reference:
        return ""
    found = pooled_table.paired_difference(
        pooled_table.games_of(player), pooled_table.games_of(reference)
    )
    return "" if found is None else f"{found[0]:+.1f} ± {found[1]:.1f}"


def table(results: dict[str, Any], runs: dict[int, str], data_dir: Path) -> str:
    """Markdown: one row per seed, the mean and spread over seeds, then the baselines; each
    with its paired differences to `PAIRED_WITH`."""
    players = {p["name"]: p for p in results["players"]}
    references = [players.get(name) for name in PAIRED_WITH]
    versus = " | ".join(f"vs {name} (paired, ± se)" for name in PAIRED_WITH)
    header = (
        f"| player | mean | {versus} | median | p10 | p90 | best "
        "| moves per game | training steps | games |\n"
        f"| --- | --- | {' | '.join('---' for _ in PAIRED_WITH)} | --- | --- | --- | --- "
        "| --- | --- | --- |"
    )
    lines = [header]
    agent_means = []
    for seed, name in runs.items():
        agent = next(p for key, p in players.items() if key.startswith(f"run:{name}:"))
        counters = run_state(data_dir, name).get("counters", {})
        agent_means.append(agent["mean_score"])
        lines.append(_row(f"seed {seed} ({name})", agent, counters, references))
    if agent_means:
        spread = statistics.stdev(agent_means) if len(agent_means) > 1 else 0.0
        lines.append(
            f"| **mean over {len(agent_means)} seeds** | **{statistics.mean(agent_means):.2f}** "
            f"± {spread:.2f} (sd) |{' |' * len(PAIRED_WITH)} | | | | | | |"
        )
    for name in BASELINES:
        if name in players:
            lines.append(_row(name, players[name], {}, references))
    return "\n".join(lines)


def _row(
    label: str,
    player: dict[str, Any],
    counters: dict[str, Any],
    references: list[dict[str, Any] | None],
) -> str:
    steps = counters.get("global_step", "")
    games = counters.get("episodes_played", "")
    paired = " | ".join(paired_difference(player, reference) for reference in references)
    return (
        f"| {label} | {player['mean_score']:.2f} | {paired} | {player['median_score']:.2f} | "
        f"{player['p10_score']:.2f} | {player['p90_score']:.2f} | {player['best_score']:.2f} | "
        f"{player['mean_length']:.1f} | {steps} | {games} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42], help="one run per seed")
    parser.add_argument("--label", default=None, help="names the runs (default: a timestamp)")
    parser.add_argument("--data-dir", type=Path, default=Path(DATA_DIR_NAME))
    parser.add_argument("--games", type=int, default=100, help="evaluation games per player")
    parser.add_argument(
        "--simulations",
        type=int,
        default=None,
        help="simulations of agents trained with a tree search",
    )
    parser.add_argument(
        "--skip-training", action="store_true", help="only evaluate the runs' latest checkpoints"
    )
    parser.add_argument(
        "--no-baselines",
        action="store_true",
        help="play only the runs (the baselines' figures do not change between studies)",
    )
    parser.add_argument(
        "--train-arg",
        action="append",
        default=[],
        help="extra argument for apps/train (repeatable), e.g. --train-arg=--config=x.toml",
    )
    args = parser.parse_args()
    stop_on_signals()
    data_dir = args.data_dir.expanduser().resolve()
    label = args.label or datetime.now().strftime("%Y%m%d_%H%M%S")
    runs = {seed: run_name_for(label, seed) for seed in args.seeds}
    app = AppPaths(data_dir)
    if not args.skip_training:
        for seed, name in runs.items():
            code, seconds = train_once(
                minutes=args.minutes,
                seed=seed,
                run_name=name,
                data_dir=data_dir,
                extra=args.train_arg,
            )
            counters = run_state(data_dir, name).get("counters", {})
            print(f"{name}: exit code {code} after {seconds:.0f} s; {counters}", flush=True)
    missing = [
        name
        for name in runs.values()
        if not RunContext(run_name=name, data_root=data_dir).latest_checkpoint_path.is_file()
    ]
    if missing:
        print(f"No checkpoint to evaluate for {', '.join(missing)}.", file=sys.stderr)
        return 1
    out = app.evaluations_dir / f"learning_{label}"
    eval_args = [
        argument for name in runs.values() for argument in ("--player", f"run:{name}:latest")
    ]
    if not args.no_baselines:
        eval_args += [argument for name in BASELINES for argument in ("--player", name)]
    eval_args += ["--games", str(args.games), "--data-dir", str(data_dir), "--out", str(out)]
    if args.simulations is not None:
        eval_args += ["--simulations", str(args.simulations)]
    if app.mlflow_db_path.is_file():
        for name in runs.values():
            eval_args += ["--run", name]
    code = evaluate_main(eval_args)
    if code != 0:
        return code
    results = json.loads((out / "results.json").read_text())
    text = table(results, runs, data_dir)
    (out / "table.md").write_text(text + "\n")
    print(text)
    print(f"Table, results and learning curves: {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as stop:
        print(f"Stopped by {stop or 'SIGINT'}.", file=sys.stderr)
        sys.exit(130)
