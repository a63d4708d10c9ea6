"""Validated configuration of AlphaTriangle: models that reject unknown fields and bad values,
the paths of a run, and the config file both command lines read."""

from .config_file import ConfigFileError, ConfigOverrides, read_config_file
from .env import EnvConfig, action_dim, decode_action, encode_action
from .mcts_config import (
    AlphaTriangleMCTSConfig,
    GumbelConfig,
    PuctConfig,
    SearchConfig,
    TreeSearchConfig,
    TurnSearchConfig,
    convert_search_config,
    search_config,
)
from .model_config import BoardPatternName, ModelConfig
from .run_context import (
    APP_NAME,
    BEST_CHECKPOINT,
    DATA_DIR_NAME,
    LATEST_CHECKPOINT,
    RUN_STATE_FILE,
    AppPaths,
    RunContext,
    default_run_name,
)
from .train_config import TrainConfig

__all__ = [
    "APP_NAME",
    "BEST_CHECKPOINT",
    "DATA_DIR_NAME",
    "LATEST_CHECKPOINT",
    "RUN_STATE_FILE",
    "AlphaTriangleMCTSConfig",
    "AppPaths",
    "BoardPatternName",
    "ConfigFileError",
    "ConfigOverrides",
    "EnvConfig",
    "GumbelConfig",
    "ModelConfig",
    "PuctConfig",
    "RunContext",
    "SearchConfig",
    "TrainConfig",
    "TreeSearchConfig",
    "TurnSearchConfig",
    "action_dim",
    "convert_search_config",
    "decode_action",
    "default_run_name",
    "encode_action",
    "read_config_file",
    "search_config",
]
