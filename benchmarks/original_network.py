"""A network of the original AlphaTriangle's default size, for equal-cost comparisons.

The original (2.0.0) used about 3.0 M parameters: convolutions of 32, 64 and 128
channels, two residual blocks of 128, a two-layer transformer of width 128 over the
board cells, a fully connected layer over the flattened cells, and dense policy and
value heads (51 value atoms). This module rebuilds a network of that shape and cost
on our features, so `benchmarks/selfplay.py` can show what our search does with it.
It is a benchmark fixture, not a model we train.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from alphatriangle.config import EnvConfig
from alphatriangle.nn import BatchEvaluation, FeatureExtractor, Positions

CONV_CHANNELS = (32, 64, 128)
RESIDUAL_BLOCKS = 2
TRANSFORMER_LAYERS = 2
TRANSFORMER_HEADS = 4
TRANSFORMER_FEEDFORWARD = 256
SHARED_WIDTH = 128
HEAD_WIDTH = 256
VALUE_ATOMS = 51


def _conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, channels),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


class OriginalSizeNet(nn.Module):
    """Convolutions, residual blocks, a cell transformer and dense heads."""

    def __init__(self, grid_channels: int, other_dim: int, cells: int, actions: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = grid_channels
        for width in CONV_CHANNELS:
            layers.append(_conv(channels, width))
            channels = width
        layers.extend(_Residual(channels) for _ in range(RESIDUAL_BLOCKS))
        self.trunk = nn.Sequential(*layers)
        self.position = nn.Parameter(torch.zeros(1, cells, channels))
        encoder_layer = nn.TransformerEncoderLayer(
            channels,
            TRANSFORMER_HEADS,
            TRANSFORMER_FEEDFORWARD,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.transformer = nn.TransformerEncoder(
            encoder_layer, TRANSFORMER_LAYERS, enable_nested_tensor=False
        )
        self.shared = nn.Sequential(
            nn.Linear(cells * channels + other_dim, SHARED_WIDTH),
            nn.BatchNorm1d(SHARED_WIDTH),
            nn.ReLU(),
        )
        self.policy = nn.Sequential(
            nn.Linear(SHARED_WIDTH, HEAD_WIDTH), nn.ReLU(), nn.Linear(HEAD_WIDTH, actions)
        )
        self.value = nn.Sequential(
            nn.Linear(SHARED_WIDTH, HEAD_WIDTH), nn.ReLU(), nn.Linear(HEAD_WIDTH, VALUE_ATOMS)
        )
        self.register_buffer("atoms", torch.linspace(-10.0, 1000.0, VALUE_ATOMS))

    def forward(self, grid: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cells = self.trunk(grid).flatten(2).transpose(1, 2) + self.position
        cells = self.transformer(cells)
        shared = self.shared(torch.cat([cells.flatten(1), other], dim=1))
        return self.policy(shared), self.value(shared)


class OriginalSizeEvaluator:
    """The search's `Evaluator` over an `OriginalSizeNet` (untrained; cost is what counts)."""

    def __init__(self, env_config: EnvConfig, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.features = FeatureExtractor(env_config)
        spec = self.features.spec
        self.model = OriginalSizeNet(
            spec.grid_channels, spec.other_dim, spec.rows * spec.cols, spec.action_dim
        ).eval()

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        batch = self.features.extract(positions)
        legal = positions.legal
        with torch.inference_mode():
            logits, value_logits = self.model(
                torch.from_numpy(batch.grid), torch.from_numpy(batch.other)
            )
            logits = logits.masked_fill(~torch.from_numpy(legal), float("-inf"))
            policy = torch.softmax(logits, dim=1).nan_to_num_(0.0)
            atoms = self.model.atoms
            assert isinstance(atoms, torch.Tensor)
            value = (torch.softmax(value_logits, dim=1) * atoms).sum(dim=1)
        return BatchEvaluation(
            policy=policy.numpy().astype(np.float32),
            value=value.numpy().astype(np.float32),
            legal_mask=legal,
        )
