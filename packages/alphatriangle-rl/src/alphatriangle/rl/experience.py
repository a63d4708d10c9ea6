"""Training positions as arrays: what self-play produces and the replay buffer stores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

NO_BOARD_INPUTS: NDArray[np.float32] = np.zeros((0, 0), np.float32)
"""Marks a batch built without board inputs: it gets [N, 0] of them."""
EACH_ITS_OWN: NDArray[np.int64] = np.zeros(0, np.int64)
"""Marks a batch built without searched positions: each row is its own."""


@dataclass(frozen=True, slots=True)
class ExperienceBatch:
    """N positions with their search targets.

    Self-play sends its planes as uint8 (a quarter of the bytes through Ray); batches
    sampled from the buffer are float32 throughout, ready for the trainer.
    """

    grid: NDArray[np.uint8] | NDArray[np.float32]  # [N, C, ROWS, COLS] 0/1 feature planes
    other: NDArray[np.float32]  # [N, F] scalar features
    policy_target: NDArray[np.float16] | NDArray[np.float32]
    """[N, A] the search's policy; [N, 0] for positions that have none (the turn search's
    afterstates: the board before the refill has no move to choose, and the turn search
    reads no policy), so the policy head learns nothing from them."""
    value_target: NDArray[np.float32]  # [N] discounted return target
    board_inputs: NDArray[np.float32] = field(default_factory=lambda: NO_BOARD_INPUTS)
    """[N, F] the board value's inputs (`alphatriangle.nn.BOARD_VALUE_INPUTS`) of afterstates
    whose search values boards with it; [N, 0] (the default) for positions that train
    only the network."""
    position: NDArray[np.int64] = field(default_factory=lambda: EACH_ITS_OWN)
    """[N] the searched position each row's target was measured at, numbered from 0 up
    within the batch: the boards of one position share a number (the candidates the ply
    past the refill compared), so a fit can learn their differences. Each row its own
    (the default) for targets measured one board at a time. Not stored by the buffer: a
    fit that needs it reads batches as they arrive."""

    def __post_init__(self) -> None:
        count = len(self.value_target)
        if self.board_inputs is NO_BOARD_INPUTS:
            object.__setattr__(self, "board_inputs", np.zeros((count, 0), np.float32))
        if self.position is EACH_ITS_OWN:
            object.__setattr__(self, "position", np.arange(count, dtype=np.int64))
        sizes = {
            len(self.grid),
            len(self.other),
            len(self.policy_target),
            len(self.value_target),
            len(self.board_inputs),
            len(self.position),
        }
        if len(sizes) != 1:
            raise ValueError(
                f"experience arrays disagree on their length: grid {len(self.grid)}, "
                f"other {len(self.other)}, policy_target {len(self.policy_target)}, "
                f"value_target {len(self.value_target)}, board_inputs {len(self.board_inputs)}, "
                f"position {len(self.position)}"
            )

    def __len__(self) -> int:
        return int(self.value_target.shape[0])

    def take(self, indices: NDArray[np.int64]) -> ExperienceBatch:
        return ExperienceBatch(
            grid=self.grid[indices],
            other=self.other[indices],
            policy_target=self.policy_target[indices],
            value_target=self.value_target[indices],
            board_inputs=self.board_inputs[indices],
            position=np.unique(self.position[indices], return_inverse=True)[1].astype(np.int64),
        )

    @staticmethod
    def concatenate(batches: Sequence[ExperienceBatch]) -> ExperienceBatch:
        if not batches:
            raise ValueError("cannot concatenate an empty list of experience batches")
        return ExperienceBatch(
            grid=np.concatenate([b.grid for b in batches]),
            other=np.concatenate([b.other for b in batches]),
            policy_target=np.concatenate([b.policy_target for b in batches]),
            value_target=np.concatenate([b.value_target for b in batches]),
            board_inputs=np.concatenate([b.board_inputs for b in batches]),
            position=np.concatenate(
                [
                    b.position + offset
                    for b, offset in zip(batches, _position_offsets(batches), strict=True)
                ]
            ),
        )


def _position_offsets(batches: Sequence[ExperienceBatch]) -> list[int]:
    """Where each batch's position numbers start once the batches are one: after the
    numbers of the batches before it."""
    offsets, start = [], 0
    for batch in batches:
        offsets.append(start)
        start += int(batch.position.max()) + 1 if len(batch) else 0
    return offsets


def n_step_value_targets(
    rewards: NDArray[np.float64],
    search_values: NDArray[np.float64],
    *,
    discount: float,
    n_step: int | None,
    bootstrap_value: float,
) -> NDArray[np.float32]:
    """Value target of each of T positions of one game.

    ``z_t = sum_{k<n} discount^k r_{t+k} + discount^n v_{t+n}``, where ``v`` is the
    search value of a later position. Past the end of the game the bootstrap is
    `bootstrap_value` (0 for a game that ended, the network's value for one cut off
    by the length cap). `n_step=None` gives Monte Carlo returns.
    """
    length = rewards.shape[0]
    horizon = length if n_step is None else n_step
    extended = np.concatenate([search_values, [bootstrap_value]])
    targets = np.zeros(length, np.float64)
    for t in range(length):
        end = min(t + horizon, length)
        powers = discount ** np.arange(end - t)
        targets[t] = float(np.dot(powers, rewards[t:end])) + discount ** (end - t) * extended[end]
    return targets.astype(np.float32)
