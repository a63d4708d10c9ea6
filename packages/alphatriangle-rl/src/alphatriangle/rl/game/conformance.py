"""Replays trianglengin games move by move against the array model and reports any difference.

After every move both must agree on the occupied cells, the legal action set, the
reward, the triangles cleared, game over and the score; the compiled expansion of the
turn search (`rl.kernel.expand_states`) is held to the same, move by move. Refills are the one thing
the model cannot reproduce (it draws from its own generator), so the replay hands
it the shapes the engine dealt: `place`, then `settle` with the engine's refill.

Moves are chosen at random among the legal ones, half the games preferring a move
that clears a line when one exists, and one game in three starts from a board half
filled at random (`debug_toggle_cell`), so clears, several lines at once included,
are common. The tests run a few thousand moves; `benchmarks/game_model_conformance.py`
runs a million.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from trianglengin import GameState

from alphatriangle.config import EnvConfig

from ..kernel import expand_states
from .engine_bridge import encode_states
from .rules import GameArrays, legal_actions, place, settle
from .tables import GameTables


class ModelMismatchError(AssertionError):
    """The model and trianglengin disagree; the message says where and on what."""


@dataclass(slots=True)
class ConformanceReport:
    """What a replay covered."""

    games: int = 0
    moves: int = 0
    refills: int = 0
    clearing_moves: int = 0
    multi_line_clears: int = 0
    """Moves that cleared two lines or more at once."""
    game_overs: int = 0
    seeds: list[int] = field(default_factory=list)


def replay_against_engine(
    env_config: EnvConfig,
    *,
    seeds: range,
    rng: np.random.Generator,
    max_moves_per_game: int | None = None,
) -> ConformanceReport:
    """Play one engine game per seed, mirroring every move in the model.

    Raises ModelMismatchError at the first disagreement, naming the seed, the move and
    the quantity.
    """
    tables = GameTables.for_env(env_config)
    report = ConformanceReport()
    for seed in seeds:
        game = GameState(env_config, initial_seed=seed)
        if seed % 3 == 0:
            _fill_half_at_random(tables, game, rng)
            if game.is_over():  # a toggle left no move at some point: the engine stays over
                game = GameState(env_config, initial_seed=seed)
        model = encode_states(tables, [game])
        prefer_clears = seed % 2 == 0
        moves = 0
        _compare(tables, game, model, seed, moves)
        while not game.is_over() and (max_moves_per_game is None or moves < max_moves_per_game):
            legal = np.flatnonzero(legal_actions(tables, model.occupied, model.shapes)[0])
            action = _choose(tables, model, legal, rng, prefer_clears)
            children = expand_states(tables, model.occupied, model.shapes)
            reward, done = game.step(action)
            _compare_compiled(tables, game, children, legal, action, reward, done, seed, moves + 1)
            placement = place(tables, model, np.array([action]))
            dealt = None
            if placement.needs_refill[0]:
                dealt = encode_states(tables, [game]).shapes
                report.refills += 1
            outcome = settle(tables, placement, dealt)
            moves += 1
            where = f"seed {seed}, move {moves} (action {action})"
            _expect(outcome.reward[0] == reward, where, "reward", outcome.reward[0], reward)
            _expect(bool(outcome.done[0]) == done, where, "game over", outcome.done[0], done)
            cleared = game.get_last_cleared_triangles()
            _expect(outcome.cleared[0] == cleared, where, "cleared", outcome.cleared[0], cleared)
            model = outcome.states
            _compare(tables, game, model, seed, moves)
            report.clearing_moves += int(cleared > 0)
            report.multi_line_clears += int(placement.lines_cleared[0] >= 2)
        report.games += 1
        report.moves += moves
        report.game_overs += int(game.is_over())
        report.seeds.append(seed)
    return report


def _compare_compiled(
    tables: GameTables,
    game: GameState,
    children: tuple[np.ndarray, ...],
    legal: np.ndarray,
    action: int,
    reward: float,
    done: bool,
    seed: int,
    move: int,
) -> None:
    """The compiled expansion (`kernel.expand_states`) of the position before the move:
    its children are the legal actions in order, and the played one is the engine's board,
    clear and reward."""
    where = f"seed {seed}, move {move} (action {action}), compiled"
    _, actions, occupied, _, placed, cleared, _ = children
    _expect(np.array_equal(actions, legal), where, "legal actions", actions, legal)
    child = int(np.searchsorted(actions, action))
    engine = encode_states(tables, [game]).occupied[0]
    _expect(np.array_equal(occupied[child], engine), where, "board", occupied[child], engine)
    engine_cleared = game.get_last_cleared_triangles()
    _expect(cleared[child] == engine_cleared, where, "cleared", cleared[child], engine_cleared)
    ours = (
        placed[child] * tables.reward_per_placed_triangle
        + cleared[child] * tables.reward_per_cleared_triangle
        + (0.0 if done else tables.reward_per_step_alive)
    )
    _expect(ours == reward, where, "reward", ours, reward)


def _fill_half_at_random(tables: GameTables, game: GameState, rng: np.random.Generator) -> None:
    """Occupy about half the playable cells (the engine clears any line this fills)."""
    for cell in np.flatnonzero(tables.playable & (rng.random(tables.num_cells) < 0.5)):
        row, col = divmod(int(cell), tables.cols)
        if not game.get_grid_data_np()["occupied"][row, col]:
            game.debug_toggle_cell(row, col)


def _choose(
    tables: GameTables,
    model: GameArrays,
    legal: np.ndarray,
    rng: np.random.Generator,
    prefer_clears: bool,
) -> int:
    if prefer_clears:
        repeated = GameArrays(
            occupied=np.repeat(model.occupied, legal.size, axis=0),
            shapes=np.repeat(model.shapes, legal.size, axis=0),
            score=np.repeat(model.score, legal.size),
        )
        clearing = legal[place(tables, repeated, legal).cleared > 0]
        if clearing.size:
            return int(rng.choice(clearing))
    return int(rng.choice(legal))


def _compare(tables: GameTables, game: GameState, model: GameArrays, seed: int, move: int) -> None:
    where = f"seed {seed}, after move {move}"
    engine = encode_states(tables, [game])
    _expect(
        np.array_equal(engine.occupied, model.occupied),
        where,
        "occupied cells",
        model.occupied,
        engine.occupied,
    )
    _expect(
        np.array_equal(engine.shapes, model.shapes), where, "slots", model.shapes, engine.shapes
    )
    ours = set(np.flatnonzero(legal_actions(tables, model.occupied, model.shapes)[0]).tolist())
    theirs = game.valid_actions()
    _expect(ours == theirs, where, "legal actions", sorted(ours ^ theirs), "no difference")
    _expect(model.score[0] == game.game_score(), where, "score", model.score[0], game.game_score())


def _expect(ok: bool, where: str, what: str, model: object, engine: object) -> None:
    if not ok:
        raise ModelMismatchError(
            f"{where}: {what} differ: model {model!r}, trianglengin {engine!r}"
        )
