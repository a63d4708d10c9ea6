"""The search a checkpoint's weights were trained with, recorded in the checkpoint itself.

A network trained as the turn search's afterstate value plays badly in a tree search and
the other way round, so the training pipeline writes its `[mcts]` settings into every
checkpoint under `SEARCH_CONFIG_KEY`, and evaluation plays a checkpoint with them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from alphatriangle.config import AlphaTriangleMCTSConfig
from alphatriangle.config.mcts_config import read_search_config_json
from alphatriangle.nn import CheckpointMismatchError, read_checkpoint

logger = logging.getLogger(__name__)

SEARCH_CONFIG_KEY = "mcts_config"
"""Checkpoint entry holding the `[mcts]` settings (JSON) the weights were trained with."""


def trained_search_config(path: Path | str) -> AlphaTriangleMCTSConfig | None:
    """The search settings recorded in checkpoint `path` (None for a checkpoint without them).

    A checkpoint written before each search had its own settings class records every
    search's fields: those that do not act in its search are dropped, and the log says so.
    Raises CheckpointMismatchError, naming the file, when the entry is not valid settings.
    """
    recorded = read_checkpoint(path).get(SEARCH_CONFIG_KEY)
    if recorded is None:
        return None
    try:
        config, dropped = read_search_config_json(str(recorded))
    except (ValidationError, ValueError) as error:
        raise CheckpointMismatchError(
            f"checkpoint {path} records search settings that are not valid: {error}"
        ) from error
    if dropped:
        logger.info(
            "Checkpoint %s records settings of other searches than its %s search (written "
            "before each search had its own settings); dropped: %s.",
            path,
            config.algorithm,
            ", ".join(dropped),
        )
    return config
