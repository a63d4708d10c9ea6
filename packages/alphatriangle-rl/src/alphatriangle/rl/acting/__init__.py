"""Acting: the one loop that plays G real games in lockstep with any decision function."""

from .lockstep import GameRecorder, MoveChooser, play_seeds

__all__ = ["GameRecorder", "MoveChooser", "play_seeds"]
