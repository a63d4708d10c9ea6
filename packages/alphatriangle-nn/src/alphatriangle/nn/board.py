"""The board a network is for, and the one check that two boards agree.

A network's tensor shapes depend on the board's rows, columns, shape slots and
playable ranges (`board_shape`). A network loading a checkpoint, a run resuming one,
the evaluation app loading one and a player asked to play a game all ask the same
question with `check_same_board`, which names both boards when they differ.
"""

from __future__ import annotations

from alphatriangle.config import EnvConfig

from .errors import BoardMismatchError

BoardShape = tuple[int, int, int, tuple[tuple[int, int], ...]]
"""(rows, columns, shape slots, playable range per row)."""


def board_shape(env_config: EnvConfig) -> BoardShape:
    """What a network's tensor shapes depend on: rows, columns, slots, playable ranges."""
    ranges = tuple((int(a), int(b)) for a, b in env_config.PLAYABLE_RANGE_PER_ROW)
    return env_config.ROWS, env_config.COLS, env_config.NUM_SHAPE_SLOTS, ranges


def describe_board(env_config: EnvConfig) -> str:
    """'8x15 with 3 shape slots': how error messages name a board."""
    return f"{env_config.ROWS}x{env_config.COLS} with {env_config.NUM_SHAPE_SLOTS} shape slots"


def check_same_board(
    recorded: EnvConfig, expected: EnvConfig, *, recorded_by: str, expected_by: str
) -> None:
    """Raise BoardMismatchError unless the two boards have the same shape.

    `recorded_by` names what was made for `recorded` ("checkpoint model.pt");
    `expected_by` ends the sentence for `expected` ("this run is configured for"):
    "checkpoint model.pt is for a board of 6x9 with 2 shape slots, but this run is
    configured for a board of 8x15 with 3 shape slots".
    """
    if board_shape(recorded) != board_shape(expected):
        raise BoardMismatchError(
            f"{recorded_by} is for a board of {describe_board(recorded)}, "
            f"but {expected_by} a board of {describe_board(expected)}"
        )
