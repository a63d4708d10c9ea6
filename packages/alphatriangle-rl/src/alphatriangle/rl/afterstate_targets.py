"""Value targets of the afterstates of one game: Monte Carlo, TD(lambda), or anything between.

A game played by the turn search passes through afterstates s_0, s_1, ..., s_{T-1}: the
boards left at the end of each turn, slots empty, before the refill. `segment_rewards[t]`
is what the game scored from s_t to s_{t+1}: the alive bonus of the move that made s_t
(it is paid only if the refill leaves a legal move, so it is the afterstate's to earn),
every reward of the next turn's moves, and the next turn's last move without its alive
bonus. After the last afterstate the segment runs to the end of the game.

    G_t = segment_rewards[t] + (1 - lambda) V(s_{t+1}) + lambda G_{t+1}

with `values[t]` = V(s_t) as the search valued it when it played, and past the last
afterstate G = V = `bootstrap_value` (0 for a game that ended). lambda = 1 gives the
Monte Carlo return (the score the game went on to make), lambda = 0 the one-turn TD
target. Undiscounted: the score is what counts.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def afterstate_value_targets(
    segment_rewards: NDArray[np.float64],
    values: NDArray[np.float64],
    *,
    td_lambda: float,
    bootstrap_value: float = 0.0,
) -> NDArray[np.float64]:
    """[T] the lambda-return of each of the T afterstates of one game."""
    if not 0.0 <= td_lambda <= 1.0:
        raise ValueError(f"td_lambda must be between 0 and 1, got {td_lambda}")
    if segment_rewards.shape != values.shape:
        raise ValueError(
            f"segment_rewards {segment_rewards.shape} and values {values.shape} must match"
        )
    targets = np.zeros(segment_rewards.shape[0], np.float64)
    next_return = next_value = bootstrap_value
    for t in range(segment_rewards.shape[0] - 1, -1, -1):
        targets[t] = segment_rewards[t] + (1.0 - td_lambda) * next_value + td_lambda * next_return
        next_return, next_value = targets[t], float(values[t])
    return targets
