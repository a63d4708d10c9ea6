"""The array model of the game against trianglengin over many moves: prints figures, or fails.

    uv run python benchmarks/game_model_conformance.py [--moves 1000000]

Plays trianglengin games with random legal moves (half of them preferring line
clears, a third from half-filled boards) and mirrors every move in the search's
array model (`alphatriangle.rl.game.conformance`), on the default board and on a
6 x 9 board with 2 slots and narrower rows, until each board has seen `--moves`
moves. After every move both must agree on the occupied cells, the legal actions,
the reward, the triangles cleared, game over and the score; the first difference
stops the run with exit 1 and names the seed and move. The test suite runs the same
replay over a few thousand moves.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from alphatriangle.config import EnvConfig
from alphatriangle.rl.game.conformance import ModelMismatchError, replay_against_engine

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
SEEDS_PER_CHUNK = 500


def check_board(name: str, env: EnvConfig, moves: int, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    totals = {"games": 0, "moves": 0, "refills": 0, "clears": 0, "multi": 0}
    start, first_seed = time.perf_counter(), 0
    while totals["moves"] < moves:
        seeds = range(first_seed, first_seed + SEEDS_PER_CHUNK)
        try:
            report = replay_against_engine(env, seeds=seeds, rng=rng)
        except ModelMismatchError as error:
            print(f"{name}: MISMATCH after {totals['moves']:,} agreeing moves: {error}")
            return False
        first_seed += SEEDS_PER_CHUNK
        totals["games"] += report.games
        totals["moves"] += report.moves
        totals["refills"] += report.refills
        totals["clears"] += report.clearing_moves
        totals["multi"] += report.multi_line_clears
    seconds = time.perf_counter() - start
    print(
        f"{name}: {totals['moves']:,} moves in {totals['games']:,} games agree "
        f"({totals['refills']:,} refills, {totals['clears']:,} clearing moves, "
        f"{totals['multi']:,} clearing two lines or more; {seconds:.0f} s)"
    )
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--moves", type=int, default=1_000_000, help="moves per board")
    parser.add_argument("--seed", type=int, default=0, help="seed of the move choices")
    args = parser.parse_args()
    boards = {"default 8x15x3": EnvConfig(), "6x9x2": SMALL_BOARD}
    agreed = [check_board(name, env, args.moves, args.seed) for name, env in boards.items()]
    sys.exit(0 if all(agreed) else 1)


if __name__ == "__main__":
    main()
