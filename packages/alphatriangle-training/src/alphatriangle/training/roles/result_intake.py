"""The intake of finished games: a malformed game from a worker is dropped with a reason.

A worker runs the same code as the driver, but it runs in another process, perhaps on
another machine with another checkout: what it sends is checked before it can reach
the buffer, against the shapes the driver's own board gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphatriangle.config import AlphaTriangleMCTSConfig, TurnSearchConfig
from alphatriangle.nn import BOARD_VALUE_INPUTS
from alphatriangle.rl import SelfPlayResult


@dataclass(frozen=True, slots=True)
class CollectedResults:
    """What one `collect` hands in: finished games, and the moves played since the last."""

    results: list[SelfPlayResult]
    moves_played: int
    """Every move the workers played, in finished games and in games still going."""


def validate_result(
    result: SelfPlayResult,
    *,
    grid_shape: tuple[int, ...],
    action_dim: int,
    afterstates_per_move: int = 1,
    board_input_count: int = len(BOARD_VALUE_INPUTS),
) -> str | None:
    """Why a self-play result must be dropped, or None when it is sound.

    `afterstates_per_move` bounds a turn-search game's positions: one afterstate per turn
    from the game's own play, or up to the ply past the refill's candidates at every move
    when the targets come from that ply (`search_positions_per_move`). `board_input_count`:
    the inputs the driver's board value reads (its patterns' `nn.board_value_inputs`)."""
    experiences = result.experiences
    if result.afterstates:
        if len(experiences) > afterstates_per_move * result.length:
            return f"{len(experiences)} afterstates for a game of {result.length} moves"
    elif len(experiences) != result.length:
        return f"{len(experiences)} positions for a game of {result.length} moves"
    if experiences.grid.shape[1:] != grid_shape:
        return f"feature planes of shape {experiences.grid.shape[1:]}, expected {grid_shape}"
    policy_width = 0 if result.afterstates else action_dim  # afterstates carry no policy
    if experiences.policy_target.shape[1:] != (policy_width,):
        shape = experiences.policy_target.shape[1:]
        return f"policy targets over {shape} actions, expected {policy_width}"
    if not np.all((experiences.grid == 0) | (experiences.grid == 1)):
        return "feature planes that are not all 0 or 1"
    if not np.all(np.isfinite(experiences.value_target)):
        return "non-finite value targets"
    if not np.all(np.isfinite(experiences.policy_target)):
        return "non-finite policy targets"
    if experiences.board_inputs.shape[1] not in (0, board_input_count):
        width = experiences.board_inputs.shape[1]
        return f"{width} board value inputs, expected {board_input_count}"
    if not np.all(np.isfinite(experiences.board_inputs)):
        return "non-finite board value inputs"
    position = experiences.position
    if len(position) and (position.min() < 0 or position.max() >= len(position)):
        low, high = position.min(), position.max()
        return f"searched positions numbered {low} to {high} for {len(position)} rows"
    return None


def search_positions_per_move(config: AlphaTriangleMCTSConfig) -> int:
    """The most training positions one move of self-play may give under `config`."""
    if isinstance(config, TurnSearchConfig) and config.turn_value_targets == "refill":
        return config.turn_refill_candidates
    return 1
