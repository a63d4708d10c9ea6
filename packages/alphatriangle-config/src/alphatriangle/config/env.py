"""The game board's configuration, re-exported from trianglengin, and the sizes derived from it.

Every size in AlphaTriangle (feature planes, policy width, tree arrays) comes from
these helpers, so a non-default board works end to end.
"""

from __future__ import annotations

from trianglengin import EnvConfig


def action_dim(env_config: EnvConfig) -> int:
    """Number of encoded actions: one per (shape slot, row, column)."""
    return int(env_config.NUM_SHAPE_SLOTS * env_config.ROWS * env_config.COLS)


def encode_action(env_config: EnvConfig, slot: int, row: int, col: int) -> int:
    """Encode a placement the way trianglengin does: `slot * ROWS * COLS + row * COLS + col`."""
    return int((slot * env_config.ROWS + row) * env_config.COLS + col)


def decode_action(env_config: EnvConfig, action: int) -> tuple[int, int, int]:
    """Inverse of `encode_action`: returns `(slot, row, col)`."""
    cells = env_config.ROWS * env_config.COLS
    slot, rest = divmod(int(action), cells)
    row, col = divmod(rest, env_config.COLS)
    return slot, row, col


__all__ = ["EnvConfig", "action_dim", "decode_action", "encode_action"]
