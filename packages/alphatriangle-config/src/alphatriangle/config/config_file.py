"""Settings from a TOML file: `[model]`, `[train]`, `[mcts]` and `[env]` tables.

Both command lines read it (`uv run apps/train --config` and `uv run apps/eval
--config`), so it lives here, below both of them. An unknown table, an unknown key or
a bad value is an error that names it (the file, the table and the field), raised
before anything is created on disk.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .env import EnvConfig
from .mcts_config import AlphaTriangleMCTSConfig
from .model_config import ModelConfig
from .train_config import TrainConfig

SECTIONS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "train": TrainConfig,
    "mcts": AlphaTriangleMCTSConfig,
    "env": EnvConfig,
}

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

    def build(self, section: str, source: str) -> Any:
        """The section's config with the overrides applied; errors name `source`."""
        model = SECTIONS[section]
        values = self.sections.get(section, {})
        try:
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
            details = "; ".join(
                f"[{section}] {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in error.errors()
            )
            raise ConfigFileError(f"{source}: {details}") from None
        except ConfigFileError:
            raise
        except ValueError as error:  # an unknown preset
            raise ConfigFileError(f"{source}: [{section}] {PRESET_KEY}: {error}") from None


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
