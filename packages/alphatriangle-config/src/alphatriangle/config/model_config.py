"""Shape of the policy-value network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import StrictConfig

BoardPatternName = Literal["strip", "wedge"]
"""The local patterns the board value can read (`alphatriangle.nn.board_value` gives each
its cells): named here so a config file is checked when it is read, not when a network
is built."""


class ModelConfig(StrictConfig):
    """Network architecture. The default is sized for CPU self-play; see `gpu_preset`."""

    trunk_channels: int = Field(default=24, ge=4, le=1024)
    """Channels of every convolution in the residual trunk."""
    num_residual_blocks: int = Field(default=2, ge=0, le=64)
    """Residual blocks (two 3x3 convolutions each) after the stem convolution."""
    num_transformer_layers: int = Field(default=0, ge=0, le=32)
    """Transformer encoder layers over the board cells after the trunk (0 = none)."""
    transformer_heads: int = Field(default=4, ge=1, le=64)
    """Attention heads per transformer layer; must divide `trunk_channels`."""
    transformer_ff_multiplier: int = Field(default=2, ge=1, le=8)
    """Feed-forward width of a transformer layer, as a multiple of `trunk_channels`."""
    value_hidden_dim: int = Field(default=64, ge=8, le=4096)
    """Width of the value head's hidden layer."""
    value_atoms: int = Field(default=51, ge=3, le=1001)
    """Atoms of the categorical value support (MuZero-style, over transformed values)."""
    value_min: float = Field(default=-10.0, le=0.0)
    """Smallest representable value (raw score units); the support spans [value_min, value_max]."""
    value_max: float = Field(default=1000.0, gt=0.0)
    """Largest representable value (raw game-score units). Targets beyond it are clipped."""
    activation: Literal["relu", "gelu", "silu"] = "relu"
    """Nonlinearity used throughout the network."""
    board_value_patterns: tuple[BoardPatternName, ...] = ("strip", "wedge")
    """The local patterns the turn search's board value reads after its summary counts,
    each 2 x 64 learned weights shared by every anchor of the board. Both (the default) took
    half the ranking error the summary alone leaves (`benchmarks/value_screen.py`); none
    (`[]`) keeps the 24 summary inputs, and self-play about twice as fast."""

    @field_validator("board_value_patterns")
    @classmethod
    def _patterns_once(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({name for name in patterns if patterns.count(name) > 1})
        if repeated:
            raise ValueError(f"each pattern may be named once; repeated: {', '.join(repeated)}")
        return patterns

    @model_validator(mode="after")
    def _heads_divide_channels(self) -> ModelConfig:
        if self.num_transformer_layers > 0 and self.trunk_channels % self.transformer_heads != 0:
            raise ValueError(
                f"transformer_heads ({self.transformer_heads}) must divide "
                f"trunk_channels ({self.trunk_channels})"
            )
        return self

    @classmethod
    def gpu_preset(cls) -> ModelConfig:
        """A larger network for a GPU: wider, deeper, with attention over the board."""
        return cls(
            trunk_channels=128,
            num_residual_blocks=6,
            num_transformer_layers=2,
            transformer_heads=8,
            value_hidden_dim=256,
        )

    @classmethod
    def preset(cls, name: str, **overrides: object) -> ModelConfig:
        """The network `name` in `MODEL_PRESETS` names, with `overrides` on top: what
        `[model] preset = "gpu"` in a config file (or `--model-preset gpu`) builds."""
        if name not in MODEL_PRESETS:
            raise ValueError(
                f"unknown model preset {name!r} (expected one of {', '.join(MODEL_PRESETS)})"
            )
        return cls.model_validate({**MODEL_PRESETS[name]().model_dump(), **overrides})


MODEL_PRESETS: dict[str, Callable[[], ModelConfig]] = {
    "cpu": ModelConfig,
    "gpu": ModelConfig.gpu_preset,
}
"""Named starting points of the network's shape: "cpu" (the default, sized for CPU
self-play) and "gpu" (`ModelConfig.gpu_preset`)."""
