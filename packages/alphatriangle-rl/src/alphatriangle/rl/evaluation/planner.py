"""The planner: the turn search with the hand-made board value, and the best plan's first move.

Between two refills the game is deterministic and fully known; chance enters only
when the slots run empty and the engine deals new shapes. The planner searches that
known part with the turn search (`alphatriangle.rl.search.turn_search`): from the
real position it places the remaining shapes in every order and at every anchor,
line clears in between, and scores each complete plan by its moves' reward plus the
hand-made value of the board it ends on (`search.hand_value`): the last move's alive
bonus in expectation over the refill, expected placements of a drawn shape, the risk
that a refill holds a shape that fits nowhere, and empty cells by empty neighbours.

No shape the game has not dealt is read, so the planner is as blind to the future as a
human player. A plan that cannot place all its shapes ends the game: it is worth its
reward alone and ranks below every plan that completes, so the planner walks into a
game over only when no plan it finds avoids it, and then takes the one that scores
most before the end. It replans every move and plays the best plan's first move on
the real engine, which then deals the real shapes. Ties are broken by a generator
seeded from the game's seed, as for the other baselines. The weights were tuned on
seeds below the evaluation range (`benchmarks/results/2026-12-01-planner/`). The
trained agent's turn search is the same routine with a learned value.
"""

from __future__ import annotations

import numpy as np
from trianglengin import GameState

from ..game import GameTables, encode_states
from ..search.afterstate_value import HandValue
from ..search.hand_value import DEFAULT_HAND_WEIGHTS, BoardValue, HandWeights, board_value
from ..search.refill_ply import RefillPly
from ..search.turn_plans import DEFAULT_BEAM_WIDTH
from ..search.turn_search import search_turns
from .baselines import OneMovePlayer

PlannerWeights = HandWeights
"""The planner's weights are the hand-made value's."""
DEFAULT_PLANNER_WEIGHTS = DEFAULT_HAND_WEIGHTS
PLANNER_SALT = 4
"""Salt of the generator that breaks the planner's ties (`[seed, salt]`): the turn search's
players use it too, so that with the hand-made value they replay the planner's games."""
EXPECTIMAX_REFILL = RefillPly(candidates=4, deals=4)
"""The `expectimax` baseline's ply past the refill: its 4 best plans, each under the same 4
refills."""

__all__ = [
    "DEFAULT_BEAM_WIDTH",
    "DEFAULT_PLANNER_WEIGHTS",
    "EXPECTIMAX_REFILL",
    "PLANNER_SALT",
    "BoardValue",
    "ExpectimaxPlayer",
    "PlannerPlayer",
    "PlannerWeights",
    "board_value",
]


class PlannerPlayer(OneMovePlayer):
    """Plans every shape in the slots, replans every move, plays the best plan's first move."""

    name = "planner"
    _salt = PLANNER_SALT

    def __init__(
        self,
        weights: PlannerWeights = DEFAULT_PLANNER_WEIGHTS,
        beam_width: int = DEFAULT_BEAM_WIDTH,
        refill: RefillPly | None = None,
    ) -> None:
        if beam_width < 1:
            raise ValueError(f"beam_width must be at least 1, got {beam_width}")
        self.beam_width = beam_width
        self.refill = refill
        self._value = HandValue(weights)

    @property
    def weights(self) -> PlannerWeights:
        """The hand-made value's weights (held by the value, the one place they live)."""
        return self._value.hand_weights

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        tables = GameTables.for_env(state.env_config)
        position = encode_states(tables, [state])
        decision = search_turns(
            tables,
            position,
            self._value,
            [rng],
            beam_width=self.beam_width,
            refill=self.refill,
        )
        return int(decision.action[0])


class ExpectimaxPlayer(PlannerPlayer):
    """The planner with one ply past the refill (`EXPECTIMAX_REFILL`): the strongest
    hand-valued baseline, and the search a learned value should match at one ply."""

    name = "expectimax"

    def __init__(
        self,
        weights: PlannerWeights = DEFAULT_PLANNER_WEIGHTS,
        beam_width: int = DEFAULT_BEAM_WIDTH,
        refill: RefillPly = EXPECTIMAX_REFILL,
    ) -> None:
        super().__init__(weights, beam_width, refill)
