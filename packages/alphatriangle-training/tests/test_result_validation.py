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
    import dataclasses

    sound = game()
    for numbers in ([0, 0, 1, 4], [-1, 0, 0, 1]):
        misnumbered = dataclasses.replace(
            sound,
            experiences=dataclasses.replace(sound.experiences, position=np.array(numbers)),
        )
        low, high = min(numbers), max(numbers)
        assert check(misnumbered) == f"searched positions numbered {low} to {high} for 4 rows"


def test_afterstates_carry_no_policy_and_positions_of_a_move_carry_one() -> None:
    import dataclasses

    no_policy = game(policy=np.zeros((4, 0), np.float32))
    assert check(dataclasses.replace(no_policy, afterstates=True, simulations=0)) is None
    assert check(no_policy) == "policy targets over (0,) actions, expected 12"
    with_policy = dataclasses.replace(game(), afterstates=True)
    assert check(with_policy) == "policy targets over (12,) actions, expected 0"


def test_search_targets_may_give_several_afterstates_per_move_up_to_the_candidates() -> None:
    import dataclasses

    from alphatriangle.config import TurnSearchConfig
    from alphatriangle.nn import BOARD_VALUE_INPUTS
    from alphatriangle.training.roles.result_intake import search_positions_per_move

    config = TurnSearchConfig(
        turn_value="board", turn_refill_candidates=3, turn_value_targets="refill"
    )
    per_move = search_positions_per_move(config)
    assert per_move == 3
    assert search_positions_per_move(TurnSearchConfig(turn_refill_candidates=0)) == 1
    positions = 12  # 3 per move of a 4-move game
    experiences = ExperienceBatch(
        grid=np.ones((positions, *GRID_SHAPE), np.uint8),
        other=np.zeros((positions, 3), np.float32),
        policy_target=np.zeros((positions, 0), np.float32),
        value_target=np.full(positions, 50.0, np.float32),
        board_inputs=np.ones((positions, len(BOARD_VALUE_INPUTS)), np.float32),
    )
    result = dataclasses.replace(game(), experiences=experiences, afterstates=True)

    def check_with(per_move: int) -> str | None:
        return validate_result(
            result, grid_shape=GRID_SHAPE, action_dim=ACTIONS, afterstates_per_move=per_move
        )

    assert check_with(per_move) is None
    assert check_with(1) == "12 afterstates for a game of 4 moves"
    narrow = dataclasses.replace(experiences, board_inputs=np.ones((positions, 2), np.float32))
    assert check_with_result(dataclasses.replace(result, experiences=narrow), per_move) == (
        f"2 board value inputs, expected {len(BOARD_VALUE_INPUTS)}"
    )


def check_with_result(result: SelfPlayResult, per_move: int) -> str | None:
    return validate_result(
        result, grid_shape=GRID_SHAPE, action_dim=ACTIONS, afterstates_per_move=per_move
    )
