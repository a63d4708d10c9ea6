"""Tuning the planner's weights: figures, not a test.

    uv run python benchmarks/planner_tuning.py [--games 200] [--first-seed 0]
        [--candidate NAME ...] [--json PATH]

Plays every candidate weight set (and beam width) below on the same tuning seeds,
one game after another in this one process, and prints a table of each candidate's
mean, median, 10th and 90th percentile score, moves per game, and moves per second
of wall clock and of CPU time (the machine may be shared; CPU time is what one core
gives when it is the planner's alone).
Tuning seeds must lie below the evaluation range (`EVAL_SEED_BASE` = 2**31): the
planner's weights are never fitted to the games it is evaluated on (exit 2 otherwise).
BLAS and OpenMP are held to one thread, so moves/s is the speed on one core.
The study of 2026-12-01 is in `benchmarks/results/2026-12-01-planner/`.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

from alphatriangle.config import EnvConfig  # noqa: E402
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT  # noqa: E402
from alphatriangle.rl.evaluation import (  # noqa: E402
    DEFAULT_BEAM_WIDTH,
    EVAL_SEED_BASE,
    PlannerPlayer,
    PlannerWeights,
    PlayerSummary,
    play_player,
)

NO_HOLES = {"isolated": 0.0, "dead_end": 0.0, "narrow": 0.0}
CANDIDATES: dict[str, tuple[PlannerWeights, int]] = {
    # 10 x reward + 0.01 x expected placements of one drawn shape: the untuned planner.
    "placements-only": (PlannerWeights(placements=0.001, **NO_HOLES), DEFAULT_BEAM_WIDTH),
    "isolated-3-1.5": (
        PlannerWeights(placements=0.01, isolated=3.0, dead_end=1.5, narrow=0.0),
        DEFAULT_BEAM_WIDTH,
    ),
    "holes-5-2-0.5": (
        PlannerWeights(placements=0.01, isolated=5.0, dead_end=2.0, narrow=0.5),
        DEFAULT_BEAM_WIDTH,
    ),
    "holes-6-3-1": (
        PlannerWeights(placements=0.01, isolated=6.0, dead_end=3.0, narrow=1.0),
        DEFAULT_BEAM_WIDTH,
    ),
    "holes-6-3-1-risk-10": (
        PlannerWeights(placements=0.01, refill_risk=10.0, isolated=6.0, dead_end=3.0, narrow=1.0),
        DEFAULT_BEAM_WIDTH,
    ),
    "holes-6-3-1-beam-20": (
        PlannerWeights(placements=0.01, isolated=6.0, dead_end=3.0, narrow=1.0),
        20,
    ),
    "holes-6-3-1-beam-100": (
        PlannerWeights(placements=0.01, isolated=6.0, dead_end=3.0, narrow=1.0),
        100,
    ),
    "holes-6-3-1-risk-10-beam-100": (
        PlannerWeights(placements=0.01, refill_risk=10.0, isolated=6.0, dead_end=3.0, narrow=1.0),
        100,
    ),
}
"""Candidates by name: weights and beam width. `-beam-20` and `-beam-100` show what the
beam's width buys; the last one joins the best weights and the best beam, as a check."""


def row(name: str, beam_width: int, summary: PlayerSummary, cpu_seconds: float) -> str:
    moves = summary.mean_length * len(summary.games)
    return (
        f"| {name} | {beam_width} | {summary.mean_score:.1f} | {summary.median_score:.1f} "
        f"| {summary.p10_score:.1f} | {summary.p90_score:.1f} | {summary.mean_length:.1f} "
        f"| {1.0 / summary.seconds_per_move:.0f} | {moves / cpu_seconds:.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--games", type=int, default=200, help="tuning games per candidate")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first game")
    parser.add_argument(
        "--candidate",
        action="append",
        choices=sorted(CANDIDATES),
        help="play only these candidates (repeatable; default: all)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every game here")
    args = parser.parse_args()
    if args.games < 1:
        print(f"--games must be at least 1, got {args.games}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.first_seed < 0 or args.first_seed + args.games > EVAL_SEED_BASE:
        print(
            f"tuning seeds {args.first_seed}..{args.first_seed + args.games - 1} must lie in "
            f"0..{EVAL_SEED_BASE - 1}, below the evaluation seeds",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    seeds = list(range(args.first_seed, args.first_seed + args.games))
    env = EnvConfig()
    print(f"Seeds {seeds[0]}..{seeds[-1]}, default board, one core.\n")
    print(
        "| candidate | beam | mean | median | p10 | p90 | moves per game "
        "| moves/s (wall) | moves/s (CPU) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    results = {}
    for name in args.candidate or list(CANDIDATES):
        weights, beam_width = CANDIDATES[name]
        cpu_start = time.process_time()
        summary = play_player(PlannerPlayer(weights, beam_width), seeds, env)
        cpu_seconds = time.process_time() - cpu_start
        print(row(name, beam_width, summary, cpu_seconds), flush=True)
        results[name] = {"weights": asdict(weights), "beam_width": beam_width}
        results[name]["cpu_seconds"] = cpu_seconds
        results[name] |= summary.as_dict()
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nEvery game: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
