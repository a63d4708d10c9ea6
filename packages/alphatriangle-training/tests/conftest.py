"""A tiny configuration (tiny.toml) that trains in seconds on a 2-core machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alphatriangle.config.config_file import read_config_file

TinyConfigs = Callable[..., dict[str, object]]


@pytest.fixture(scope="session")
def tiny_config() -> Path:
    return Path(__file__).parent / "tiny.toml"


@pytest.fixture(scope="session")
def tiny_configs(tiny_config: Path) -> TinyConfigs:
    """`tiny_configs(**train)`: the model, train and search configs of tiny.toml, for
    `run_training(...)`, with `train` overrides."""

    def build(**train: object) -> dict[str, object]:
        overrides = read_config_file(tiny_config)
        for key, value in train.items():
            overrides.set("train", key, value)
        return {
            f"{name}_config": overrides.build(name, str(tiny_config))
            for name in ("model", "train", "mcts")
        }

    return build
