"""Measuring strength: baseline players, network players and `evaluate` over fixed seeds."""

from .baselines import BASELINES, GreedyPlayer, MobilityPlayer, OneMovePlayer, RandomPlayer
from .evaluate import (
    ENGINE_SEED_END,
    EVAL_SEED_BASE,
    Player,
    PlayerSummary,
    evaluate,
    evaluate_network,
    evaluate_weights,
    evaluation_seeds,
    play_player,
    torch_threads,
)
from .network_players import DEFAULT_BATCH_GAMES, PolicyPlayer, SearchPlayer
from .records import Frame, GameRecord, GameTracker, ShapeView

__all__ = [
    "BASELINES",
    "DEFAULT_BATCH_GAMES",
    "ENGINE_SEED_END",
    "EVAL_SEED_BASE",
    "Frame",
    "GameRecord",
    "GameTracker",
    "GreedyPlayer",
    "MobilityPlayer",
    "OneMovePlayer",
    "Player",
    "PlayerSummary",
    "PolicyPlayer",
    "RandomPlayer",
    "SearchPlayer",
    "ShapeView",
    "evaluate",
    "evaluate_network",
    "evaluate_weights",
    "evaluation_seeds",
    "play_player",
    "torch_threads",
]
