"""Measuring strength: baseline players (the planner among them), network players and
`evaluate` over fixed seeds."""

from .baselines import GreedyPlayer, MobilityPlayer, OneMovePlayer, RandomPlayer
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
from .network_players import DEFAULT_BATCH_GAMES, PolicyPlayer, SearchPlayer, search_player
from .planner import (
    DEFAULT_BEAM_WIDTH,
    DEFAULT_PLANNER_WEIGHTS,
    EXPECTIMAX_REFILL,
    PLANNER_SALT,
    ExpectimaxPlayer,
    PlannerPlayer,
    PlannerWeights,
    board_value,
)
from .records import Frame, GameRecord, GameTracker, ShapeView
from .registry import BASELINES
from .turn_player import DEFAULT_TURN_BATCH_GAMES, TurnSearchPlayer

__all__ = [
    "BASELINES",
    "DEFAULT_BATCH_GAMES",
    "DEFAULT_BEAM_WIDTH",
    "DEFAULT_PLANNER_WEIGHTS",
    "DEFAULT_TURN_BATCH_GAMES",
    "ENGINE_SEED_END",
    "EVAL_SEED_BASE",
    "EXPECTIMAX_REFILL",
    "PLANNER_SALT",
    "ExpectimaxPlayer",
    "Frame",
    "GameRecord",
    "GameTracker",
    "GreedyPlayer",
    "MobilityPlayer",
    "OneMovePlayer",
    "PlannerPlayer",
    "PlannerWeights",
    "Player",
    "PlayerSummary",
    "PolicyPlayer",
    "RandomPlayer",
    "SearchPlayer",
    "ShapeView",
    "TurnSearchPlayer",
    "board_value",
    "evaluate",
    "evaluate_network",
    "evaluate_weights",
    "evaluation_seeds",
    "play_player",
    "search_player",
    "torch_threads",
]
