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

Each gives its terms in the order a plan's score adds them (the planner's, bit for
bit, for the hand terms), and its `baseline`: the part of the value that is not
learned, which value targets subtract before the network sees them.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import TurnSearchConfig

from ..game import GameTables, afterstate_positions
from .batched_search import Evaluator
from .hand_value import DEFAULT_HAND_WEIGHTS, HandWeights, hand_afterstate_terms

TurnValueKind = Literal["hand", "network", "hand+network"]
NETWORK_CHUNK = 1024
"""Afterstates per network call: large enough to amortise a call, small enough for memory."""


class AfterstateValue(Protocol):
    """Values [K] afterstate boards for the turn search."""

    @property
    def uses_network(self) -> bool:
        """Whether the value calls the network (the search then values only its best
        candidates by the hand-made score)."""
        ...

    def terms(self, tables: GameTables, occupied: NDArray[np.uint64]) -> list[NDArray[np.float64]]:
        """[K] arrays whose sum, added to a plan's reward in this order, is its score."""
        ...

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        """[K] the part of the value that is not learned (0 for the network alone)."""
        ...


class HandValue:
    """The planner's value: alive bonus in expectation plus the hand-made board value."""

    uses_network = False

    def __init__(self, weights: HandWeights = DEFAULT_HAND_WEIGHTS) -> None:
        self.weights = weights

    def terms(self, tables: GameTables, occupied: NDArray[np.uint64]) -> list[NDArray[np.float64]]:
        alive, board = hand_afterstate_terms(tables, occupied, self.weights)
        return [alive, board]

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        alive, board = hand_afterstate_terms(tables, occupied, self.weights)
        total: NDArray[np.float64] = alive + board
        return total


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

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator

    def terms(self, tables: GameTables, occupied: NDArray[np.uint64]) -> list[NDArray[np.float64]]:
        return [network_afterstate_values(self.evaluator, tables, occupied)]

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return np.zeros(occupied.shape[0], np.float64)


class HandPlusNetworkValue:
    """The hand-made value as a baseline, corrected by the network.

    With a `correction_bound`, the search lets the correction move a plan by at most that
    many points against the plan the hand-made score ranks first in its position
    (`turn_search.bounded_corrections`): a correction learned from the boards the agent
    chose is least reliable on boards it never chose, and an argmax over many candidates
    picks exactly the ones it overrates.
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
        self.correction_bound = correction_bound

    def terms(self, tables: GameTables, occupied: NDArray[np.uint64]) -> list[NDArray[np.float64]]:
        return [*self.hand.terms(tables, occupied), self.correction(tables, occupied)]

    def correction(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        """[K] the network's correction of the hand-made value, unbounded."""
        return network_afterstate_values(self.evaluator, tables, occupied)

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return self.hand.baseline(tables, occupied)


def afterstate_value_for(
    kind: TurnValueKind, evaluator: Evaluator | None, *, correction_bound: float | None = None
) -> AfterstateValue:
    """The value named by `[mcts] turn_value` (with `turn_correction_bound` for
    "hand+network"); the network kinds need an evaluator."""
    if kind == "hand":
        return HandValue()
    if evaluator is None:
        raise ValueError(f"turn_value {kind!r} needs a network to evaluate afterstates")
    if kind == "network":
        return NetworkValue(evaluator)
    if kind == "hand+network":
        return HandPlusNetworkValue(evaluator, correction_bound=correction_bound)
    raise ValueError(f"unknown turn_value {kind!r}; expected 'hand', 'network' or 'hand+network'")


def afterstate_value_of(config: TurnSearchConfig, evaluator: Evaluator | None) -> AfterstateValue:
    """The value `[mcts]` names: `turn_value`, with `turn_correction_bound`."""
    return afterstate_value_for(
        config.turn_value, evaluator, correction_bound=config.turn_correction_bound
    )
