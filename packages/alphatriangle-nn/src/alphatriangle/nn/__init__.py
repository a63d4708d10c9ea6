"""Features, the policy-value network and the batched evaluator of AlphaTriangle."""

from .atomic_file import write_atomically
from .board import check_same_board, describe_board
from .board_value import (
    BOARD_VALUE_INPUT_NAMES,
    BOARD_VALUE_INPUTS,
    LOCAL_PATTERNS,
    PATTERNS,
    STARTING_POINTS,
    SUMMARY_INPUTS,
    BoardValueHead,
    Pattern,
    board_value_inputs,
    pattern_inputs,
    patterns_of,
)
from .device import resolve_device
from .errors import BoardMismatchError, CheckpointMismatchError
from .features import (
    SHAPE_SUMMARY_SIZE,
    FeatureBatch,
    FeatureExtractor,
    FeatureSpec,
    Positions,
    shape_summary,
)
from .model import AlphaTriangleNet
from .network import BatchEvaluation, NeuralNetwork, StateDict, read_checkpoint
from .value_support import ValueSupport, squash, unsquash

__all__ = [
    "BOARD_VALUE_INPUTS",
    "BOARD_VALUE_INPUT_NAMES",
    "LOCAL_PATTERNS",
    "PATTERNS",
    "SHAPE_SUMMARY_SIZE",
    "STARTING_POINTS",
    "SUMMARY_INPUTS",
    "AlphaTriangleNet",
    "BatchEvaluation",
    "BoardMismatchError",
    "BoardValueHead",
    "CheckpointMismatchError",
    "FeatureBatch",
    "FeatureExtractor",
    "FeatureSpec",
    "NeuralNetwork",
    "Pattern",
    "Positions",
    "StateDict",
    "ValueSupport",
    "board_value_inputs",
    "check_same_board",
    "describe_board",
    "pattern_inputs",
    "patterns_of",
    "read_checkpoint",
    "resolve_device",
    "shape_summary",
    "squash",
    "unsquash",
    "write_atomically",
]
