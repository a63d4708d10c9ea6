"""trianglengin's rules over B states at once: legal moves, placing a shape, refills.

A move is one `step`, in the engine's order: place the slot's shape at the anchor
cell, clear every full line through a placed cell (all at once), empty the slot,
refill every slot when all are empty, then the game is over when no shape in the
slots fits anywhere. The reward is, as in trianglengin's `GameStateCpp::step`,

    placed x REWARD_PER_PLACED_TRIANGLE + cleared x REWARD_PER_CLEARED_TRIANGLE
        (+ REWARD_PER_STEP_ALIVE unless the game is over after the move)

computed in the same order in float64, so scores agree with the engine exactly.

`step` is `place`, then `deal` for the states whose slots are all empty, then
`settle`. The refill comes from the numpy `Generator` the caller passes, never
from any game's generator: a search over these states cannot know the shapes the
real game will deal. Tests that replay the engine's own refills call the three
parts with the shapes the engine dealt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .bitboard import popcount
from .tables import EMPTY_SLOT, GameTables


@dataclass(frozen=True, slots=True)
class GameArrays:
    """B game states as arrays: what a tree node keeps instead of an engine object."""

    occupied: NDArray[np.uint64]  # [B, words] bitboard of cells holding a triangle
    shapes: NDArray[np.int8]  # [B, S] template id in each slot, EMPTY_SLOT once used
    score: NDArray[np.float64]  # [B] score so far (the tree keeps rewards on edges instead)

    def __len__(self) -> int:
        return int(self.shapes.shape[0])

    @classmethod
    def empty_board(cls, tables: GameTables, shapes: NDArray[np.integer]) -> GameArrays:
        """States with nothing on the board and the given [B, S] shapes in the slots."""
        dealt = np.asarray(shapes, np.int8).reshape(-1, tables.num_slots)
        return cls(
            occupied=np.zeros((dealt.shape[0], tables.words), np.uint64),
            shapes=dealt.copy(),
            score=np.zeros(dealt.shape[0], np.float64),
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """States after placing and clearing, before any refill: the afterstates."""

    states: GameArrays
    placed: NDArray[np.int64]  # [B] triangles placed
    cleared: NDArray[np.int64]  # [B] distinct triangles cleared
    lines_cleared: NDArray[np.int64]  # [B] full lines cleared (they may share triangles)
    needs_refill: NDArray[np.bool_]  # [B] every slot is now empty

    def base_reward(self, tables: GameTables) -> NDArray[np.float64]:
        """[B] the reward without the alive bonus, in the engine's order of additions."""
        reward: NDArray[np.float64] = (
            self.placed * tables.reward_per_placed_triangle
            + self.cleared * tables.reward_per_cleared_triangle
        )
        return reward


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What B moves did."""

    states: GameArrays  # [B] states after the move (and the refill)
    legal: NDArray[np.bool_]  # [B, A] legal actions of the new states
    reward: NDArray[np.float64]  # [B]
    cleared: NDArray[np.int64]  # [B] distinct triangles cleared
    done: NDArray[np.bool_]  # [B] no legal action is left
    refilled: NDArray[np.bool_]  # [B] the move emptied the slots and new shapes were dealt


def fits(
    tables: GameTables, occupied: NDArray[np.uint64], templates: NDArray[np.integer]
) -> NDArray[np.bool_]:
    """[B, K, cells] where each of the K templates per board can be anchored.

    `occupied` is [B, words], `templates` [B, K] (EMPTY_SLOT fits nowhere).
    """
    conflict = np.zeros((*templates.shape, tables.num_cells), np.bool_)
    for word in range(tables.words):
        covered = tables.placement_bits[word][templates]
        conflict |= (covered & occupied[:, word, None, None]) != 0
    free: NDArray[np.bool_] = tables.placement_valid[templates] & ~conflict
    return free


def legal_actions(
    tables: GameTables, occupied: NDArray[np.uint64], shapes: NDArray[np.int8]
) -> NDArray[np.bool_]:
    """[B, A] legal actions (`slot * cells + anchor`) of the [B] boards with their shapes."""
    free = fits(tables, occupied, shapes)
    legal: NDArray[np.bool_] = free.reshape(len(shapes), tables.num_actions)
    return legal


def place(tables: GameTables, states: GameArrays, actions: NDArray[np.integer]) -> Placement:
    """Place the shapes of `actions` [B] and clear the full lines; no refill yet.

    Raises ValueError naming the first action that is not legal in its state.
    """
    actions = np.asarray(actions, np.int64)
    count = len(states)
    if actions.shape != (count,):
        raise ValueError(f"expected {count} actions, got an array of shape {actions.shape}")
    rows = np.arange(count)
    slot, anchor = np.divmod(actions, tables.num_cells)
    out_of_range = (actions < 0) | (actions >= tables.num_actions)
    template = states.shapes[rows, np.where(out_of_range, 0, slot)]
    anchor = np.where(out_of_range, 0, anchor)
    placed_bits = tables.placement_bits[:, template, anchor].T  # [B, words]
    legal = (
        ~out_of_range
        & tables.placement_valid[template, anchor]
        & ~((placed_bits & states.occupied) != 0).any(axis=1)
    )
    if not legal.all():
        bad = int(np.flatnonzero(~legal)[0])
        raise ValueError(f"action {int(actions[bad])} is not legal in state {bad} of the batch")
    occupied = states.occupied | placed_bits
    full = _full_lines_through(tables, occupied, placed_bits)
    cleared_bits = _union_of_lines(tables, full)
    occupied &= ~cleared_bits
    shapes = states.shapes.copy()
    shapes[rows, slot] = EMPTY_SLOT
    return Placement(
        states=GameArrays(occupied=occupied, shapes=shapes, score=states.score),
        placed=tables.template_size[template],
        cleared=popcount(cleared_bits),
        lines_cleared=full.sum(axis=1, dtype=np.int64),
        needs_refill=(shapes == EMPTY_SLOT).all(axis=1),
    )


def _full_lines_through(
    tables: GameTables, occupied: NDArray[np.uint64], placed_bits: NDArray[np.uint64]
) -> NDArray[np.bool_]:
    """[B, L] the lines that are full and hold a just-placed cell: they clear."""
    count, lines = occupied.shape[0], tables.num_lines
    touched = np.zeros((count, lines), np.bool_)
    full = np.ones((count, lines), np.bool_)
    for word in range(tables.words):
        line = tables.line_bits[word][None, :]
        touched |= (line & placed_bits[:, word, None]) != 0
        full &= (occupied[:, word, None] & line) == line
    clearing: NDArray[np.bool_] = touched & full
    return clearing


def _union_of_lines(tables: GameTables, lines: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """[B, words] the cells of the [B, L] chosen lines."""
    cells = np.zeros((lines.shape[0], tables.words), np.uint64)
    if lines.any():
        for word in range(tables.words):
            chosen = np.where(lines, tables.line_bits[word][None, :], np.uint64(0))
            cells[:, word] = np.bitwise_or.reduce(chosen, axis=1)
    return cells


def deal(tables: GameTables, rng: np.random.Generator, count: int) -> NDArray[np.int8]:
    """[count, S] new slot contents, each slot drawn as trianglengin draws it.

    The engine picks each slot's template uniformly among its table's entries (shapes
    listed twice come twice as often); this draws from the same distribution.
    """
    entries = rng.integers(0, tables.template_of_entry.size, size=(count, tables.num_slots))
    dealt: NDArray[np.int8] = tables.template_of_entry[entries]
    return dealt


def settle(tables: GameTables, placement: Placement, dealt: NDArray[np.int8] | None) -> StepOutcome:
    """Finish B moves: put `dealt` [R, S] shapes into the R states that need a refill
    (in batch order), find the legal moves, game over and the reward."""
    states = placement.states
    shapes = states.shapes
    refill = placement.needs_refill
    if refill.any():
        if dealt is None or dealt.shape != (int(refill.sum()), tables.num_slots):
            raise ValueError(
                f"{int(refill.sum())} states need a refill of {tables.num_slots} shapes, "
                f"got {None if dealt is None else dealt.shape}"
            )
        shapes = shapes.copy()
        shapes[refill] = dealt
    legal = legal_actions(tables, states.occupied, shapes)
    done: NDArray[np.bool_] = np.logical_not(legal.any(axis=1))
    reward = placement.base_reward(tables) + np.where(done, 0.0, tables.reward_per_step_alive)
    return StepOutcome(
        states=GameArrays(occupied=states.occupied, shapes=shapes, score=states.score + reward),
        legal=legal,
        reward=reward,
        cleared=placement.cleared,
        done=done,
        refilled=refill,
    )


def step(
    tables: GameTables,
    states: GameArrays,
    actions: NDArray[np.integer],
    rng: np.random.Generator,
) -> StepOutcome:
    """Play `actions` [B] in `states`; refills are drawn from `rng`."""
    placement = place(tables, states, actions)
    refills = int(placement.needs_refill.sum())
    dealt = deal(tables, rng, refills) if refills else None
    return settle(tables, placement, dealt)
