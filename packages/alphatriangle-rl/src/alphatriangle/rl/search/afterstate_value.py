"""What the board a turn leaves is worth: the pluggable value of the turn search.

A plan that places every shape ends on an afterstate: the board with empty slots,
before the refill. Its value is an expectation over the next deal and depends on the
board alone, so it can be learned from boards alone. Three values plug in:

- `HandValue`: the planner's hand-made judgement (`hand_value.py`): the last move's
  alive bonus in expectation over the refill, plus the board's hand-made value.
- `NetworkValue`: the network's value of the board shown with empty slots, alone.
- `HandPlusNetworkValue`: the hand-made value as a baseline that the network corrects;
  the network learns the difference between what the board went on to score and the
  hand-made value, so an untrained network (value 0) plays as the planner does.
- `BoardPointsValue`: the board value, points still to come, linear in board features
  (`board_inputs.py`) with coefficients the trainer learns (`alphatriangle.nn`'s
  `BoardValueHead`): a dot product per board, no network call, so the search can value
  every plan and every deal past the refill with it.

The search calls every value through one protocol, `AfterstateValue.value_boards`:
given the end boards of some plans (and those plans' rewards and positions, which a
value may weigh its terms against), it gives the terms a plan's score adds, in order
(the planner's, bit for bit, for the hand terms), and its own `estimate` of each board,
which self-play records and targets bootstrap from. `baseline` is the part of the value
that is not learned, which value targets subtract before the network sees them. Each
value holds the hand-made weights (`hand_weights`), the one place they are given: the
search prunes partial plans and picks the network's candidates by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import TurnSearchConfig
from alphatriangle.nn import PATTERNS, Pattern

from ..game import GameTables, afterstate_positions
from .batched_search import Evaluator
from .board_inputs import board_points
from .hand_value import (
    DEFAULT_HAND_WEIGHTS,
    HandWeights,
    afterstate_terms,
    hand_afterstate_terms,
)

TurnValueKind = Literal["hand", "network", "hand+network", "board"]
NETWORK_CHUNK = 1024
"""Afterstates per network call: large enough to amortise a call, small enough for memory."""


@dataclass(frozen=True, slots=True)
class PlanEnds:
    """The plans whose end boards a value is asked for."""

    occupied: NDArray[np.uint64]  # [K, words] the board each plan ends on
    reward: NDArray[np.float64]  # [K] what each plan's moves score
    root: NDArray[np.int64]  # [K] the position each plan starts from
    hand_value: NDArray[np.float64] | None = None  # [K] each board's hand-made value and
    alive_odds: NDArray[np.float64] | None = None  # refill alive odds, if already counted
    # with the value's own hand weights (the turn search's kernel counts them as it grows)


@dataclass(frozen=True, slots=True)
class ValuedBoards:
    """What a value says of K end boards."""

    terms: list[NDArray[np.float64]]
    """[K] arrays whose sum, added to a plan's reward in this order, is its score."""
    estimate: NDArray[np.float64]
    """[K] the value's own estimate of each board: what self-play records."""


class AfterstateValue(Protocol):
    """Values [K] afterstate boards for the turn search."""

    @property
    def uses_network(self) -> bool:
        """Whether the value calls the network (the search then values only its best
        candidates by the hand-made score)."""
        ...

    @property
    def hand_weights(self) -> HandWeights:
        """The hand-made value's weights: the search prunes partial plans and picks the
        network's candidates by them."""
        ...

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        """The terms of the plans' scores and the value's estimate of their end boards."""
        ...

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        """[K] the part of the value that is not learned (0 for the network alone)."""
        ...

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        """[K] what a refill that leaves no legal move is worth in this value's units, for
        boards whose one-ply value is `one_ply` (the search's ply past the refill)."""
        ...


def _summed(terms: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """The terms added left to right (what `np.sum(terms, axis=0)` adds, without stacking
    them into a new array first)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


class HandValue:
    """The planner's value: alive bonus in expectation plus the hand-made board value."""

    uses_network = False

    def __init__(self, weights: HandWeights = DEFAULT_HAND_WEIGHTS) -> None:
        self.hand_weights = weights

    def terms(self, tables: GameTables, occupied: NDArray[np.uint64]) -> list[NDArray[np.float64]]:
        """[K] the alive bonus in expectation and the board's hand-made value."""
        alive, board = hand_afterstate_terms(tables, occupied, self.hand_weights)
        return [alive, board]

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        if ends.hand_value is not None and ends.alive_odds is not None:
            terms = list(afterstate_terms(tables, ends.hand_value, ends.alive_odds))
        else:
            terms = self.terms(tables, ends.occupied)
        return ValuedBoards(terms, _summed(terms))

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        alive, board = hand_afterstate_terms(tables, occupied, self.hand_weights)
        total: NDArray[np.float64] = alive + board
        return total

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        """A refill that fits nowhere, in the hand-made value's units: the board's one-ply
        value less `refill_risk`, the hand-made value's own price of such a refill (its
        value is relative, so 0 would rank a certain end above most live boards)."""
        dead: NDArray[np.float64] = one_ply - self.hand_weights.refill_risk
        return dead


def network_afterstate_values(
    evaluator: Evaluator, tables: GameTables, occupied: NDArray[np.uint64]
) -> NDArray[np.float64]:
    """[K] the network's value of each board shown with every slot empty, in large batches."""
    count = occupied.shape[0]
    values = np.zeros(count, np.float64)
    for start in range(0, count, NETWORK_CHUNK):
        part = occupied[start : start + NETWORK_CHUNK]
        positions = afterstate_positions(tables, part)
        values[start : start + part.shape[0]] = evaluator.evaluate_batch(positions).value
    return values


class NetworkValue:
    """The network's value of the afterstate, alone (no hand-made terms)."""

    uses_network = True

    def __init__(self, evaluator: Evaluator, weights: HandWeights = DEFAULT_HAND_WEIGHTS) -> None:
        self.evaluator = evaluator
        self.hand_weights = weights

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        network = network_afterstate_values(self.evaluator, tables, ends.occupied)
        return ValuedBoards([network], _summed([network]))

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return np.zeros(occupied.shape[0], np.float64)

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        """The network learns points still to come, and an ended game has none."""
        return np.zeros_like(one_ply)


class HandPlusNetworkValue:
    """The hand-made value as a baseline, corrected by the network.

    With a `correction_bound`, the search lets the correction move a plan by at most that
    many points against the plan the hand-made score ranks first in its position
    (`turn_search.bounded_corrections`): a correction learned from the boards the agent
    chose is least reliable on boards it never chose, and an argmax over many candidates
    picks exactly the ones it overrates. The bound shapes the search's choice only: the
    value's estimate of a board (what self-play records) is the hand-made value plus the
    network's correction, unbounded.
    """

    uses_network = True

    def __init__(
        self,
        evaluator: Evaluator,
        weights: HandWeights = DEFAULT_HAND_WEIGHTS,
        *,
        correction_bound: float | None = None,
    ) -> None:
        if correction_bound is not None and correction_bound <= 0:
            raise ValueError(f"correction_bound must be above 0, got {correction_bound}")
        self.evaluator = evaluator
        self.hand = HandValue(weights)
        self.hand_weights = weights
        self.correction_bound = correction_bound

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        """Hand terms, then the correction (bounded against the plan the hand-made score
        ranks first in its position, with a bound); the estimate takes it unbounded."""
        hand = self.hand.terms(tables, ends.occupied)
        correction = self.correction(tables, ends.occupied)
        estimate = _summed([*hand, correction])
        if self.correction_bound is None:
            return ValuedBoards([*hand, correction], estimate)
        bounded = bounded_corrections(
            correction, ends.reward + np.sum(hand, axis=0), ends.root, self.correction_bound
        )
        return ValuedBoards([*hand, bounded], estimate)

    def correction(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        """[K] the network's correction of the hand-made value, unbounded."""
        return network_afterstate_values(self.evaluator, tables, occupied)

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return self.hand.baseline(tables, occupied)

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        """The hand-made value's units: the correction does not change them."""
        return self.hand.game_over_value(one_ply)


@runtime_checkable
class BoardValueSource(Protocol):
    """Holds the board value's coefficients (`NeuralNetwork` does, trained beside it)."""

    def board_value_coefficients(self) -> NDArray[np.float64]:
        """[F] points per unit of each board value input."""
        ...

    @property
    def board_value_patterns(self) -> tuple[Pattern, ...]:
        """The local patterns the coefficients read after the summary."""
        ...


@dataclass(frozen=True, slots=True)
class FixedCoefficients:
    """A `BoardValueSource` of coefficients found elsewhere (fitted offline, drawn for a
    test), for a board value played without a network."""

    coefficients: NDArray[np.float64]
    patterns: tuple[Pattern, ...] = PATTERNS

    def board_value_coefficients(self) -> NDArray[np.float64]:
        return self.coefficients

    @property
    def board_value_patterns(self) -> tuple[Pattern, ...]:
        return self.patterns


class BoardPointsValue:
    """The board value: points still to come, linear in the board's inputs.

    The coefficients are read from `source` at every call, so a self-play worker plays
    with the weights it was last sent. The value is in points, so a refill that ends
    the game is worth 0 after it.
    """

    uses_network = False

    def __init__(
        self, source: BoardValueSource, weights: HandWeights = DEFAULT_HAND_WEIGHTS
    ) -> None:
        self.source = source
        self.hand_weights = weights
        self.patterns = source.board_value_patterns
        """The local patterns the coefficients read after the summary: the source's, read
        once (a network's head does not change its inputs while it trains)."""

    def points(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        """[K] the value of each board in points."""
        coefficients = self.source.board_value_coefficients()
        return board_points(tables, occupied, coefficients, self.patterns)

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        points = self.points(tables, ends.occupied)
        return ValuedBoards([points], points)

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return np.zeros(occupied.shape[0], np.float64)

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        """Points still to come after the game ended: none."""
        return np.zeros_like(one_ply)


def afterstate_value_for(
    kind: TurnValueKind, evaluator: Evaluator | None, *, correction_bound: float | None = None
) -> AfterstateValue:
    """The value named by `[mcts] turn_value` (with `turn_correction_bound` for
    "hand+network"); the network kinds need an evaluator."""
    if kind == "hand":
        return HandValue()
    if evaluator is None:
        raise ValueError(
            f"turn_value {kind!r} needs a network to evaluate afterstates"
            + (" (it holds the board value)" if kind == "board" else "")
        )
    if kind == "network":
        return NetworkValue(evaluator)
    if kind == "hand+network":
        return HandPlusNetworkValue(evaluator, correction_bound=correction_bound)
    if kind == "board":
        if not isinstance(evaluator, BoardValueSource):
            raise ValueError("turn_value 'board' needs a network that holds a board value")
        return BoardPointsValue(evaluator)
    raise ValueError(
        f"unknown turn_value {kind!r}; expected 'hand', 'network', 'hand+network' or 'board'"
    )


def bounded_corrections(
    correction: NDArray[np.float64],
    hand_score: NDArray[np.float64],
    root: NDArray[np.int64],
    bound: float,
) -> NDArray[np.float64]:
    """[K] each plan's correction relative to that of its position's plan with the best
    `hand_score`, clipped to [-bound, bound]: the network can reorder plans within `bound`
    points of each other, never lift a plan the hand-made value finds far worse."""
    bounded = np.zeros_like(correction)
    for position in np.unique(root):
        rows = np.flatnonzero(root == position)
        reference = correction[rows[int(np.argmax(hand_score[rows]))]]
        bounded[rows] = np.clip(correction[rows] - reference, -bound, bound)
    return bounded


def afterstate_value_of(config: TurnSearchConfig, evaluator: Evaluator | None) -> AfterstateValue:
    """The value `[mcts]` names: `turn_value`, with `turn_correction_bound`."""
    return afterstate_value_for(
        config.turn_value, evaluator, correction_bound=config.turn_correction_bound
    )
