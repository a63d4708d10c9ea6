"""validate_result: a malformed game from a worker is dropped with a reason, not stored."""

from __future__ import annotations

import numpy as np

from alphatriangle.rl import ExperienceBatch, SelfPlayResult
from alphatriangle.training.roles.result_intake import validate_result

GRID_SHAPE = (5, 2, 3)
ACTIONS = 12


def game(*, grid: np.ndarray | None = None, policy: np.ndarray | None = None) -> SelfPlayResult:
    moves = 4
    experiences = ExperienceBatch(
        grid=np.ones((moves, *GRID_SHAPE), np.uint8) if grid is None else grid,
        other=np.zeros((moves, 3), np.float32),
        policy_target=np.full((moves, ACTIONS), 1 / ACTIONS, np.float32)
        if policy is None
        else policy,
        value_target=np.zeros(moves, np.float32),
    )
    return SelfPlayResult(
        experiences=experiences,
        score=1.0,
        length=moves,
        triangles_cleared=0,
        simulations=64,
        seconds=0.1,
        seed=0,
        worker_id=0,
        weights_step=0,
        truncated=False,
    )


def check(result: SelfPlayResult) -> str | None:
    return validate_result(result, grid_shape=GRID_SHAPE, action_dim=ACTIONS)


def test_a_sound_game_passes() -> None:
    assert check(game()) is None


def test_each_defect_is_named() -> None:
    half_planes = np.full((4, *GRID_SHAPE), 0.5, np.float32)
    assert check(game(grid=half_planes)) == "feature planes that are not all 0 or 1"
    wrong_shape = np.ones((4, 5, 3, 2), np.uint8)
    assert "feature planes of shape (5, 3, 2)" in (check(game(grid=wrong_shape)) or "")
    nan_policy = np.full((4, ACTIONS), np.nan, np.float32)
    assert check(game(policy=nan_policy)) == "non-finite policy targets"


def test_afterstates_carry_no_policy_and_positions_of_a_move_carry_one() -> None:
    import dataclasses

    no_policy = game(policy=np.zeros((4, 0), np.float32))
    assert check(dataclasses.replace(no_policy, afterstates=True, simulations=0)) is None
    assert check(no_policy) == "policy targets over (0,) actions, expected 12"
    with_policy = dataclasses.replace(game(), afterstates=True)
    assert check(with_policy) == "policy targets over (12,) actions, expected 0"
