"""The compiled turn search beside its numpy reference: pieces for `selfplay.py`.

- `search_path`: run the turn search on the compiled kernels or on the numpy reference
  (`search.turn_plans_reference`), timing its growth and its hand-made value; the only
  place the reference is swapped in (the benchmark process alone).
- `cold_start_seconds`: what the first call of the kernels costs a fresh process: with
  an empty cache (compiling, once per machine) and with the cache that run wrote (what
  every later process, each Ray worker included, pays).
- `planner_decision_figures`: the planner's decision on positions recorded from its own
  games (no real moves), compiled against reference in alternating pairs, and whole
  planner games per second.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from trianglengin import GameState

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import PlannerPlayer
from alphatriangle.rl.evaluation.planner import PLANNER_SALT
from alphatriangle.rl.game import EMPTY_SLOT, GameArrays, GameTables, encode_states
from alphatriangle.rl.search import HandValue, afterstate_value, search_turns, turn_search
from alphatriangle.rl.search.turn_plans_reference import (
    reference_grow_plans,
    reference_hand_afterstate_terms,
)

PATHS = ("compiled", "reference")
PLANNER_SEEDS = range(100, 105)
"""Self-play-range seeds of the positions the planner's decision is timed on."""


@contextmanager
def search_path(path: str, seconds: dict[str, float]) -> Iterator[None]:
    """The turn search on `path` ("compiled" or "reference") inside the block; adds the
    seconds spent growing plans ("growth", which values every board it finds, the end
    boards included) and in the hand-made value of boards outside it ("hand value") to
    `seconds`."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    search, value = vars(turn_search), vars(afterstate_value)
    saved = search["grow_plans"], value["hand_afterstate_terms"]
    grow = saved[0] if path == "compiled" else _reference_grow
    terms = saved[1] if path == "compiled" else reference_hand_afterstate_terms
    search["grow_plans"] = _timed(grow, "growth", seconds)
    value["hand_afterstate_terms"] = _timed(terms, "hand value", seconds)
    try:
        yield
    finally:
        search["grow_plans"], value["hand_afterstate_terms"] = saved


def _reference_grow(*args: Any, **kwargs: Any) -> Any:
    return reference_grow_plans(*args, **kwargs)


def _timed(
    function: Callable[..., Any], name: str, seconds: dict[str, float]
) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start

    return timed


_COLD_START = (
    "import json, time\n"
    "start = time.perf_counter()\n"
    "from alphatriangle.config import EnvConfig\n"
    "from alphatriangle.rl.game import GameTables\n"
    "from alphatriangle.rl.kernel import warm_up\n"
    "imported = time.perf_counter()\n"
    "print(json.dumps({'import_s': imported - start,"
    " 'first_call_s': warm_up(GameTables.for_env(EnvConfig()))}))\n"
)


def cold_start_seconds() -> dict[str, float]:
    """First call of every kernel in a fresh process: compiling into an empty cache, then
    loading the cache that run wrote."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("compile (empty cache)", "load (cache on disk)"):
            result = subprocess.run(
                [sys.executable, "-c", _COLD_START],
                env={**os.environ, "NUMBA_CACHE_DIR": cache},
                capture_output=True,
                text=True,
                check=True,
            )
            figures[f"first_call_s: {label}"] = json.loads(result.stdout)["first_call_s"]
    return figures


def recorded_positions(env: EnvConfig) -> tuple[list[GameArrays], int]:
    """Every position of the planner's games on `PLANNER_SEEDS`, and the turns in them."""
    tables = GameTables.for_env(env)
    player = PlannerPlayer()
    positions: list[GameArrays] = []
    turns = 0
    for seed in PLANNER_SEEDS:
        game = GameState(env, initial_seed=seed)
        rng = np.random.default_rng([seed, PLANNER_SALT])
        while not game.is_over():
            position = encode_states(tables, [game])
            positions.append(position)
            turns += int((position.shapes[0] != EMPTY_SLOT).sum() == 1)
            game.step(player.choose(game, rng))
    return positions, turns


def _decisions(
    tables: GameTables, positions: list[GameArrays], path: str
) -> tuple[float, list[int]]:
    """(seconds, moves) of the planner's decision at every position, on `path`."""
    value = HandValue()
    rngs = [np.random.default_rng(0) for _ in positions]  # made before the clock starts
    moves = []
    with search_path(path, {}):
        start = time.perf_counter()
        for position, rng in zip(positions, rngs, strict=True):
            moves.append(int(search_turns(tables, position, value, [rng]).action[0]))
        return time.perf_counter() - start, moves


def planner_decision_figures(repeats: int) -> dict[str, Any]:
    """The planner's decisions per second on one core, compiled and reference, measured
    in alternating pairs on the same recorded positions; whole planner games per second."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    positions, turns = recorded_positions(env)
    rates: dict[str, list[float]] = {path: [] for path in PATHS}
    ratios: list[float] = []
    chosen: dict[str, list[int]] = {}
    for repeat in range(repeats):
        order = PATHS if repeat % 2 == 0 else PATHS[::-1]
        pair = {}
        for path in order:
            seconds, chosen[path] = _decisions(tables, positions, path)
            pair[path] = len(positions) / seconds
            rates[path].append(pair[path])
        ratios.append(pair["compiled"] / pair["reference"])
    moves_per_turn = len(positions) / max(turns, 1)
    start = time.perf_counter()
    records = PlannerPlayer().play(env, list(PLANNER_SEEDS))
    game_seconds = time.perf_counter() - start
    same = sum(a == b for a, b in zip(chosen["compiled"], chosen["reference"], strict=True))
    return {
        "positions": len(positions),
        "same_move_positions": same,
        "compiled_decisions_per_s": statistics.median(rates["compiled"]),
        "reference_decisions_per_s": statistics.median(rates["reference"]),
        "compiled_turns_per_s": statistics.median(rates["compiled"]) / moves_per_turn,
        "reference_turns_per_s": statistics.median(rates["reference"]) / moves_per_turn,
        "compiled_over_reference": statistics.median(ratios),
        "compiled_over_reference_of_each_pair": sorted(ratios),
        "compiled_planner_games_per_s": len(records) / game_seconds,
        "compiled_planner_moves_per_s": sum(r.length for r in records) / game_seconds,
    }
