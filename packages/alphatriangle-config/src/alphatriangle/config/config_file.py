"""Settings from a TOML file: `[model]`, `[train]`, `[mcts]` and `[env]` tables.

Both command lines read it (`uv run apps/train --config` and `uv run apps/eval
--config`), so it lives here, below both of them. An unknown table, an unknown key or
a bad value is an error that names it (the file, the table and the field), raised
before anything is created on disk.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .env import EnvConfig
from .mcts_config import search_config
from .model_config import ModelConfig
from .train_config import TrainConfig

MODELS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "train": TrainConfig,
    "env": EnvConfig,
}
"""The tables read into one model each; `[mcts]` is read into the class of its search."""
SECTIONS = ("model", "train", "mcts", "env")

PRESET_KEY = "preset"
"""`[model] preset = "gpu"`: start the network's shape from a named preset
(`MODEL_PRESETS`); the table's other keys override its fields."""


class ConfigFileError(ValueError):
    """A config file that cannot be used, with the reason."""


@dataclass(slots=True)
class ConfigOverrides:
    """Field overrides per section, as read from a file (and the command line)."""

    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set(self, section: str, key: str, value: Any) -> None:
        self.sections.setdefault(section, {})[key] = value

    def build(self, section: str, source: str, *, under: Mapping[str, Any] | None = None) -> Any:
        """The section's config with the overrides applied (on top of `under`, values that
        are not the command line's own, e.g. a resumed run's search); errors name `source`."""
        values = {**(under or {}), **self.sections.get(section, {})}
        try:
            if section == "mcts":
                return search_config(values)
            model = MODELS[section]
            if section == "env":
                unknown = sorted(set(values) - set(model.model_fields))
                if unknown:
                    raise ConfigFileError(
                        f"{source}: unknown key(s) in [env]: {', '.join(unknown)}"
                    )
            if section == "model" and PRESET_KEY in values:
                rest = {k: v for k, v in values.items() if k != PRESET_KEY}
                return ModelConfig.preset(str(values[PRESET_KEY]), **rest)
            return model(**values)
        except ValidationError as error:
            raise ConfigFileError(f"{source}: {describe_errors(section, error)}") from None
        except ConfigFileError:
            raise
        except ValueError as error:  # an unknown preset or search
            key = "" if section == "mcts" else f" {PRESET_KEY}:"
            raise ConfigFileError(f"{source}: [{section}]{key} {error}") from None


def describe_errors(section: str, error: ValidationError) -> str:
    """A validation error of table `section` as `[section] field: message; ...`."""
    return "; ".join(_described(section, e) for e in error.errors())


def _described(section: str, error: Any) -> str:
    """One validation error as `[section] field: message` (no field for a whole-table one,
    such as a field of another search)."""
    message = str(error["msg"]).removeprefix("Value error, ")
    loc = [str(p) for p in error["loc"]]
    if section == "mcts" and loc and loc[0] in ("turn", "puct", "gumbel"):
        loc = loc[1:]  # the union's tag, not a field
    return f"[{section}] {'.'.join(loc)}: {message}" if loc else f"[{section}] {message}"


def read_config_file(path: Path) -> ConfigOverrides:
    """Parse `path`; unknown tables are errors, values are validated by `ConfigOverrides.build`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(f"config file {path} is not valid TOML: {error}") from None
    overrides = ConfigOverrides()
    for section, values in data.items():
        if section not in SECTIONS:
            raise ConfigFileError(
                f"config file {path}: unknown table [{section}] (expected one of "
                f"{', '.join(f'[{s}]' for s in SECTIONS)})"
            )
        if not isinstance(values, dict):
            raise ConfigFileError(f"config file {path}: [{section}] must be a table")
        for key, value in values.items():
            overrides.set(section, key, value)
    return overrides
