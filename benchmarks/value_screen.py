"""Which board value inputs can learn the ply past the refill? An offline screen, not a test.

    uv run python benchmarks/value_screen.py gen --games 80 --first-seed 10000 --data D.npz
    uv run python benchmarks/value_screen.py fit --data D.npz --games 400 --first-seed 20200
        [--between 0 1] [--fitted-candidates 4] [--play-ply 4,4 --ply-games 100] [--out F]

`gen` plays the hand-valued search with a ply past the refill (`--ply C,K`, default 8,8)
on tuning seeds and keeps what that ply measured at every move: the end board of each
of the C candidates it followed and its value past the refill (the mean over K deals of
the best next plan), the targets `turn_value_targets = "refill"` trains on.

`fit` fits the board value by least squares (ridge `--ridge`, on inputs scaled to unit
spread) within each position (inputs and targets less their position's mean: the
search compares boards of one position, so only differences matter), once on the
summary inputs and once on the summary and the local patterns the kernel can count
(`alphatriangle.nn.LOCAL_PATTERNS`, which the default board value reads; `--inputs`
picks), on four fifths of the positions; `--between B ...` also weighs each position's
mean level against those differences (0: differences alone, 1: every board's level),
and `--fitted-candidates N` fits each position's first N boards (its one-ply pick,
then the best others by one-ply score) where the data holds more. On the rest it
prints how often each value's top board is the ply's best and the ply's points lost
per position (the hand-made value beside them). Then each fitted value plays at one
ply, with `--games` tuning seeds from `--first-seed`, beside the planner on the same
seeds, and with `--play-ply C,K` also with that ply on `--ply-games` of them beside
the hand-valued search with the same ply; the paired differences are printed with
their standard errors, and `--out` keeps every game's score. Keep the seeds below
2**31: the evaluation seeds are not for choosing.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from trianglengin import GameState  # noqa: E402

from alphatriangle.config import EnvConfig, TurnSearchConfig  # noqa: E402
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT  # noqa: E402
from alphatriangle.nn import LOCAL_PATTERNS, Pattern  # noqa: E402
from alphatriangle.rl.evaluation import (  # noqa: E402
    EVAL_SEED_BASE,
    PlannerPlayer,
    TurnSearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.game import GameArrays, GameTables  # noqa: E402
from alphatriangle.rl.search import (  # noqa: E402
    BoardPointsValue,
    FixedCoefficients,
    HandValue,
    RefillPly,
    TurnDecision,
    board_inputs,
)

INPUT_SETS: dict[str, tuple[Pattern, ...]] = {
    "summary": (),
    "summary + patterns": LOCAL_PATTERNS,
}
"""The values compared: the patterns each reads after the summary inputs."""


class CollectingPlayer(TurnSearchPlayer):
    """The hand-valued search past the refill, keeping what its ply measured."""

    def __init__(self, refill: RefillPly) -> None:
        config = TurnSearchConfig(
            turn_value="hand",
            turn_refill_candidates=refill.candidates,
            turn_refill_deals=refill.deals,
        )
        super().__init__(HandValue(), config, batch_games=8, name="collect")
        self.boards: list[NDArray[np.uint64]] = []
        self.targets: list[NDArray[np.float64]] = []
        self.positions: list[NDArray[np.int64]] = []
        self.seen = 0

    def _choose(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> TurnDecision:
        decision = super()._choose(tables, positions, states, rngs)
        self.boards.append(decision.refill_boards)
        self.targets.append(decision.refill_values)
        self.positions.append(decision.refill_root + self.seen)
        self.seen += len(positions)
        return decision


def generate(args: argparse.Namespace) -> int:
    try:
        candidates, deals = (int(x) for x in args.ply.split(","))
        refill = RefillPly(candidates=candidates, deals=deals)
    except ValueError as error:
        print(f"--ply wants C,K with both at least 1, got {args.ply!r}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    player = CollectingPlayer(refill)
    records = player.play(EnvConfig(), evaluation_seeds(args.games, first=args.first_seed))
    np.savez(
        args.data[0],
        boards=np.concatenate(player.boards),
        targets=np.concatenate(player.targets),
        position=np.concatenate(player.positions),
    )
    scores = [r.score for r in records]
    mean = np.mean(scores)
    print(f"{len(scores)} games (mean {mean:.1f}), {player.seen} positions: {args.data[0]}")
    return 0


def within_position(
    values: NDArray[np.float64], position: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each row less the mean of its position's rows."""
    count = np.bincount(position).astype(np.float64)
    sums = np.zeros((count.size, *values.shape[1:]))
    np.add.at(sums, position, values)
    means = sums / np.maximum(count, 1).reshape(-1, *([1] * (values.ndim - 1)))
    centred: NDArray[np.float64] = values - means[position]
    return centred


def fitted(
    inputs: NDArray[np.float64],
    targets: NDArray[np.float64],
    position: NDArray[np.int64],
    ridge: float,
    between: float = 0.0,
) -> NDArray[np.float64]:
    """Coefficients over `inputs`' columns; the bias (column 0) sets the mean level.

    The squared error splits, position by position, into the error of the differences
    between its boards (within) and the error of its boards' mean (between, counted once
    a board). `between` weighs the second against the first: 0 fits differences alone
    (the search compares boards of one position), 1 is the plain fit of every board's
    level."""
    x, y = within_position(inputs, position), within_position(targets, position)
    mean_x, mean_y = inputs - x, targets - y
    second = (x * x).mean(axis=0) + between * (mean_x * mean_x).mean(axis=0)
    scale = np.sqrt(second)
    scale[scale == 0] = 1.0
    sx, smx = x / scale, mean_x / scale
    gram = sx.T @ sx + between * smx.T @ smx + ridge * np.eye(x.shape[1])
    moment = sx.T @ y + between * smx.T @ mean_y
    theta: NDArray[np.float64] = np.linalg.solve(gram, moment) / scale
    theta[0] += float(np.mean(targets - inputs @ theta))
    return theta


def ranking(
    predicted: NDArray[np.float64], targets: NDArray[np.float64], position: NDArray[np.int64]
) -> tuple[float, float]:
    """(share of positions whose top predicted board is the ply's best, points lost)."""
    hits, lost, counted = 0, 0.0, 0
    order = np.argsort(position, kind="stable")
    bounds = np.flatnonzero(np.diff(position[order])) + 1
    for rows in np.split(order, bounds):
        if rows.size < 2:
            continue
        best = rows[np.argmax(predicted[rows])]
        hits += int(targets[best] >= targets[rows].max() - 1e-9)
        lost += float(targets[rows].max() - targets[best])
        counted += 1
    return hits / counted, lost / counted


def load(
    paths: Sequence[Path], fitted_candidates: int | None
) -> tuple[NDArray[np.uint64], NDArray[np.float64], NDArray[np.int64]]:
    """Boards, targets and positions of every data file (positions numbered apart), each
    position's first `fitted_candidates` boards (its one-ply pick, then the best others
    by one-ply score) or all of them."""
    boards, targets, positions, offset = [], [], [], 0
    for path in paths:
        data = np.load(path)
        boards.append(data["boards"])
        targets.append(data["targets"])
        positions.append(data["position"] + offset)
        offset = int(positions[-1].max()) + 1 if positions[-1].size else offset
    board, target, position = (np.concatenate(x) for x in (boards, targets, positions))
    if fitted_candidates is not None:
        starts = np.searchsorted(position, position, side="left")
        keep = np.arange(position.size) - starts < fitted_candidates
        board, target, position = board[keep], target[keep], position[keep]
    return board, target, position


def fit_and_play(args: argparse.Namespace) -> int:
    boards, targets, position = load(args.data, args.fitted_candidates)
    tables = GameTables.for_env(EnvConfig())
    ids = np.unique(position)
    held_out = np.isin(position, np.random.default_rng(0).permutation(ids)[: ids.size // 5])
    print(f"{targets.size} boards of {ids.size} positions; {held_out.sum()} held out")
    hand = HandValue().baseline(tables, boards)
    top, lost = ranking(hand[held_out], targets[held_out], position[held_out])
    print(f"{'value':<32}{'top board':>10}{'points lost':>13}")
    print(f"{'hand-made':<32}{top:>10.3f}{lost:>13.3f}")
    seeds = evaluation_seeds(args.games, first=args.first_seed) if args.games else []
    one_ply = TurnSearchConfig(turn_value="board", turn_refill_candidates=0, turn_refill_deals=1)
    with_ply = None
    if args.play_ply:
        candidates, deals = (int(x) for x in args.play_ply.split(","))
        with_ply = TurnSearchConfig(
            turn_value="board", turn_refill_candidates=candidates, turn_refill_deals=deals
        )
    played: dict[str, NDArray[np.float64]] = {}
    if args.games and not args.skip_references:
        played["planner"] = np.array([r.score for r in PlannerPlayer().play(EnvConfig(), seeds)])
    ply_seeds = evaluation_seeds(args.ply_games, first=args.first_seed) if args.ply_games else []
    if with_ply is not None and args.ply_games and not args.skip_references:
        hand_ply = TurnSearchConfig(
            turn_value="hand",
            turn_refill_candidates=with_ply.turn_refill_candidates,
            turn_refill_deals=with_ply.turn_refill_deals,
        )
        played["hand, ply"] = np.array(
            [r.score for r in TurnSearchPlayer(HandValue(), hand_ply).play(EnvConfig(), ply_seeds)]
        )
    inputs_of = {name: INPUT_SETS[name] for name in args.inputs}
    for name, patterns in inputs_of.items():
        inputs = board_inputs(tables, boards, patterns)
        train = ~held_out
        for between in args.between:
            label = f"{name}, between {between:g}"
            theta = fitted(inputs[train], targets[train], position[train], args.ridge, between)
            top, lost = ranking(inputs[held_out] @ theta, targets[held_out], position[held_out])
            print(f"{label:<32}{top:>10.3f}{lost:>13.3f}", flush=True)
            value = BoardPointsValue(FixedCoefficients(theta, patterns))
            if args.games:
                player = TurnSearchPlayer(value, one_ply)
                played[f"{label}, one ply"] = np.array(
                    [r.score for r in player.play(EnvConfig(), seeds)]
                )
            if with_ply is not None and args.ply_games:
                player = TurnSearchPlayer(value, with_ply)
                played[f"{label}, ply"] = np.array(
                    [r.score for r in player.play(EnvConfig(), ply_seeds)]
                )
    for reference, players in (
        ("planner", [n for n in played if n.endswith("one ply")]),
        ("hand, ply", [n for n in played if n.endswith(", ply") and n != "hand, ply"]),
    ):
        if reference not in played:
            continue
        base = played[reference]
        print(f"{reference}: {base.size} games from seed {args.first_seed}, mean {base.mean():.1f}")
        for name in players:
            versus = paired(played[name], base)
            print(f"  {name:<44}{played[name].mean():>8.1f}  vs {reference} {versus}")
    if args.out is not None:
        games = {name: scores.tolist() for name, scores in played.items()}
        args.out.write_text(json.dumps({"first_seed": args.first_seed, "games": games}))
    return 0


def paired(scores: NDArray[np.float64], base: NDArray[np.float64]) -> str:
    difference = scores - base
    error = difference.std(ddof=1) / math.sqrt(difference.size)
    return f"{difference.mean():+.1f} ± {error:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("gen", "fit"))
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--games", type=int, default=80)
    parser.add_argument("--first-seed", type=int, default=10_000)
    parser.add_argument("--ply", default="8,8")
    parser.add_argument("--ridge", type=float, default=100.0)
    parser.add_argument(
        "--between",
        type=float,
        nargs="+",
        default=[0.0],
        help="weights of the positions' mean levels against their differences (fit)",
    )
    parser.add_argument(
        "--fitted-candidates", type=int, help="boards fitted per position (fit; default all)"
    )
    parser.add_argument("--inputs", nargs="+", choices=tuple(INPUT_SETS), default=list(INPUT_SETS))
    parser.add_argument("--play-ply", help="C,K: also play each fitted value with this ply")
    parser.add_argument("--ply-games", type=int, default=100)
    parser.add_argument(
        "--skip-references", action="store_true", help="play neither planner nor hand ply"
    )
    parser.add_argument("--out", type=Path, help="write every game's score here (JSON)")
    args = parser.parse_args()
    if args.first_seed + args.games > EVAL_SEED_BASE:
        print("--first-seed/--games: screen on tuning seeds, below 2**31", file=sys.stderr)
        return EXIT_BAD_INPUT
    missing = [str(path) for path in args.data if not path.is_file()]
    if args.command == "fit" and missing:
        print(f"--data: no screen data at {', '.join(missing)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "gen" and len(args.data) != 1:
        print("--data: gen writes one file", file=sys.stderr)
        return EXIT_BAD_INPUT
    return generate(args) if args.command == "gen" else fit_and_play(args)


if __name__ == "__main__":
    sys.exit(main())
