"""Acting: the one loop that plays G real games in lockstep with any decision function."""

from .lockstep import (
    ChosenMoves,
    GameRecorder,
    MoveChooser,
    Moves,
    Round,
    play_round,
    play_seeds,
)

__all__ = [
    "ChosenMoves",
    "GameRecorder",
    "MoveChooser",
    "Moves",
    "Round",
    "play_round",
    "play_seeds",
]
