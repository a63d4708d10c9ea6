"""The ply past the refill: strength against cost, paired with the planner. Figures, not a test.

    uv run python benchmarks/refill_ply.py [--games 100] [--first-seed 2147483648]
        [--ply C,K ...] [--checkpoint PATH] [--jobs 2] [--json PATH]

Plays the planner and the hand-valued turn search with a ply past the refill at each
`--ply C,K` (its C best plans, each under the same K refills it draws itself) on the
same seeds, and prints for each: the mean score, its paired difference to the planner
with the standard error of that difference (every player plays every seed, so the
difference is taken game by game), and the CPU time per move, so strength can be
weighed against what it costs. The default seeds are the 100 evaluation seeds; pass
`--first-seed` below 2**31 to screen on tuning seeds instead. With `--checkpoint`, the
checkpoint's learned board value plays too, at one ply and at each `--ply`, on the same
seeds: what learning adds to each search, against its hand-valued twin. Games are spread over
`--jobs` processes, each held to one thread: CPU time per move is one core's.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alphatriangle.config import (  # noqa: E402
    EnvConfig,
    TurnSearchConfig,
)
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT  # noqa: E402
from alphatriangle.nn import NeuralNetwork  # noqa: E402
from alphatriangle.rl.evaluation import (  # noqa: E402
    EVAL_SEED_BASE,
    PlannerPlayer,
    Player,
    TurnSearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.search import BoardPointsValue, RefillPly  # noqa: E402

PLANNER = "planner"


@dataclass(frozen=True, slots=True)
class Played:
    """One player's games on a share of the seeds."""

    scores: list[float]
    moves: int
    cpu_seconds: float


LEARNED = "learned"
"""Names of players with the checkpoint's board value: "learned" (one ply), "learned C,K"."""


def player_named(name: str, checkpoint: Path | None) -> Player:
    """ "planner", "C,K" (hand-valued, past the refill), "learned" or "learned C,K"."""
    ply = name.removeprefix(LEARNED).strip()
    refill = None if ply in ("", PLANNER) else RefillPly(*(int(x) for x in ply.split(",")))
    if not name.startswith(LEARNED):
        return PlannerPlayer(refill=refill)
    assert checkpoint is not None
    network = NeuralNetwork.from_checkpoint(checkpoint, device="cpu")
    config = TurnSearchConfig(
        turn_value="board",
        turn_refill_candidates=0 if refill is None else refill.candidates,
        turn_refill_deals=1 if refill is None else refill.deals,
    )
    return TurnSearchPlayer(BoardPointsValue(network), config, batch_games=8, name=name)


def play_share(name: str, seeds: list[int], checkpoint: Path | None = None) -> Played:
    """Play `seeds` with the player `name` (see `player_named`) in this process."""
    torch.set_num_threads(1)
    player = player_named(name, checkpoint)
    start = time.process_time()
    records = player.play(EnvConfig(), seeds)
    return Played(
        scores=[r.score for r in records],
        moves=sum(r.length for r in records),
        cpu_seconds=time.process_time() - start,
    )


def play(name: str, seeds: list[int], jobs: int, checkpoint: Path | None = None) -> Played:
    """Play `seeds` with `name`, spread over `jobs` processes, in seed order."""
    shares = [seeds[j::jobs] for j in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(play_share, [name] * jobs, shares, [checkpoint] * jobs))
    scores = np.zeros(len(seeds))
    for j, part in enumerate(parts):
        scores[j::jobs] = part.scores
    return Played(
        scores=scores.tolist(),
        moves=sum(p.moves for p in parts),
        cpu_seconds=sum(p.cpu_seconds for p in parts),
    )


def parse_ply(text: str) -> str:
    try:
        candidates, deals = (int(x) for x in text.split(","))
        RefillPly(candidates=candidates, deals=deals)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--ply wants C,K with both at least 1: {error}") from None
    return f"{candidates},{deals}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=EVAL_SEED_BASE)
    parser.add_argument("--ply", type=parse_ply, action="append", default=None)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    try:
        seeds = evaluation_seeds(args.games, first=args.first_seed)
    except ValueError as error:
        print(f"--games/--first-seed: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.jobs < 1:
        print(f"--jobs must be at least 1, got {args.jobs}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.checkpoint is not None and not args.checkpoint.is_file():
        print(f"--checkpoint: no checkpoint file at {args.checkpoint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    plies = args.ply or ["4,4"]
    names = [PLANNER, *plies]
    if args.checkpoint is not None:
        names += [LEARNED, *(f"{LEARNED} {ply}" for ply in plies)]
    played = {name: play(name, seeds, args.jobs, args.checkpoint) for name in names}
    base = np.array(played[PLANNER].scores)
    print(f"{len(seeds)} games on seeds {seeds[0]}..{seeds[-1]}, each player on every seed")
    print(f"{'player':<14}{'mean':>9}{'vs planner':>20}{'ms/move (CPU)':>16}{'moves':>9}")
    rows = []
    for name, result in played.items():
        scores = np.array(result.scores)
        diff = scores - base
        se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else float("nan")
        ms = 1000 * result.cpu_seconds / max(result.moves, 1)
        label = (
            name
            if name in (PLANNER, LEARNED)
            else name.replace(",", " K=").replace(f"{LEARNED} ", f"{LEARNED} C=")
        )
        if name[0].isdigit():
            label = f"C={label}"
        versus = "" if name == PLANNER else f"{diff.mean():+.1f} ± {se:.1f}"
        print(f"{label:<14}{scores.mean():>9.1f}{versus:>20}{ms:>16.2f}{result.moves:>9}")
        rows.append(
            {
                "player": label,
                "mean": float(scores.mean()),
                "paired_difference": float(diff.mean()),
                "paired_standard_error": se,
                "cpu_ms_per_move": ms,
                "moves": result.moves,
                "scores": result.scores,
            }
        )
    if args.json is not None:
        args.json.write_text(json.dumps({"seeds": seeds, "players": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
