"""Validated configuration of AlphaTriangle: models that reject unknown fields and bad values."""

from .env import EnvConfig, action_dim, decode_action, encode_action
from .mcts_config import AlphaTriangleMCTSConfig
from .model_config import ModelConfig
from .run_context import APP_NAME, DATA_DIR_NAME, RunContext, default_run_name
from .train_config import TrainConfig

__all__ = [
    "APP_NAME",
    "DATA_DIR_NAME",
    "AlphaTriangleMCTSConfig",
    "EnvConfig",
    "ModelConfig",
    "RunContext",
    "TrainConfig",
    "action_dim",
    "decode_action",
    "default_run_name",
    "encode_action",
]
