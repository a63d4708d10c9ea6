"""AlphaTriangleNet: a residual convolutional trunk with policy and value heads.

The policy head is fully convolutional: a 1x1 convolution gives one logit plane per
shape slot, which flattened is exactly trianglengin's action layout
(``slot * ROWS * COLS + r * COLS + c``). The scalar features enter the trunk as a
per-channel bias after the stem, so the policy planes can condition on which shapes
are in the slots. The value head pools the trunk and predicts a categorical
distribution over squashed values (see `value_support`).
"""

from __future__ import annotations

import torch
from torch import nn

from alphatriangle.config import ModelConfig

from .board_value import BoardValueHead, patterns_of
from .features import FeatureSpec

_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with a skip connection."""

    def __init__(self, channels: int, activation: type[nn.Module]) -> None:
        super().__init__()
        self.first = _conv_bn(channels, channels, 3)
        self.second = _conv_bn(channels, channels, 3)
        self.activation = activation()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.second(self.activation(self.first(x)))
        out: torch.Tensor = self.activation(x + residual)
        return out


class CellTransformer(nn.Module):
    """Self-attention over the board cells, for long-range structure (lines span the board)."""

    def __init__(self, config: ModelConfig, num_cells: int) -> None:
        super().__init__()
        channels = config.trunk_channels
        self.position = nn.Parameter(torch.zeros(1, num_cells, channels))
        layer = nn.TransformerEncoderLayer(
            d_model=channels,
            nhead=config.transformer_heads,
            dim_feedforward=channels * config.transformer_ff_multiplier,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers=config.num_transformer_layers, enable_nested_tensor=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, rows, cols = x.shape
        tokens = x.flatten(2).transpose(1, 2) + self.position
        tokens = self.encoder(tokens)
        out: torch.Tensor = tokens.transpose(1, 2).reshape(batch, channels, rows, cols)
        return out


class AlphaTriangleNet(nn.Module):
    """Maps (grid planes, scalar features) to (policy logits [B, A], value logits [B, K])."""

    def __init__(self, model_config: ModelConfig, spec: FeatureSpec) -> None:
        super().__init__()
        self.spec = spec
        channels = model_config.trunk_channels
        activation = _ACTIVATIONS[model_config.activation]
        self.stem = _conv_bn(spec.grid_channels, channels, 3)
        self.scalar_bias = nn.Linear(spec.other_dim, channels)
        self.stem_activation = activation()
        self.blocks = nn.Sequential(
            *(ResidualBlock(channels, activation) for _ in range(model_config.num_residual_blocks))
        )
        self.transformer: nn.Module = (
            CellTransformer(model_config, spec.rows * spec.cols)
            if model_config.num_transformer_layers > 0
            else nn.Identity()
        )
        self.policy_head = nn.Sequential(
            nn.Conv2d(channels, channels, 1),
            activation(),
            nn.Conv2d(channels, spec.num_slots, 1),
        )
        self.value_head = nn.Sequential(
            nn.Linear(2 * channels + spec.other_dim, model_config.value_hidden_dim),
            activation(),
            nn.Linear(model_config.value_hidden_dim, model_config.value_atoms),
        )
        self.board_value = BoardValueHead(patterns_of(model_config))
        """The turn search's learned board value (`board_value.py`): trained beside the
        heads, on the board inputs of afterstates, and read by the search as coefficients."""

    def start_value_head_at(self, initial_distribution: torch.Tensor) -> None:
        """Make the untrained value head predict `initial_distribution` [K] for every input.

        A freshly initialised categorical head predicts roughly uniform atoms, whose
        mean is the middle of the support (hundreds of points): every bootstrapped
        target would start far off. Starting at the distribution of value 0 avoids it.
        """
        final = self.value_head[-1]
        assert isinstance(final, nn.Linear)
        with torch.no_grad():
            final.weight.zero_()
            final.bias.copy_(torch.log(initial_distribution.clamp_min(1e-6)))

    def forward(self, grid: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """grid [B, C, R, W], other [B, F] -> policy logits [B, A], value logits [B, K]."""
        x = self.stem(grid) + self.scalar_bias(other)[:, :, None, None]
        x = self.transformer(self.blocks(self.stem_activation(x)))
        policy_logits = self.policy_head(x).flatten(1)
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3)), other], dim=1)
        return policy_logits, self.value_head(pooled)
