"""NeuralNetwork: the evaluator the search calls, and the weights the trainer updates.

`evaluate_batch` is the one call per search round: features for every leaf, one
forward pass under `torch.inference_mode`, legal-move masking and a softmax, all
for the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, ModelConfig

from .atomic_file import write_atomically
from .device import resolve_device
from .features import FeatureBatch, FeatureExtractor
from .model import AlphaTriangleNet
from .value_support import ValueSupport

StateDict = dict[str, torch.Tensor]


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors do not fit this network (another board or architecture)."""


@dataclass(frozen=True, slots=True)
class BatchEvaluation:
    """What the network says about B positions."""

    policy: NDArray[np.float32]
    """[B, A] prior over actions, zero on illegal ones, each row summing to 1 (0 if none legal)."""
    value: NDArray[np.float32]
    """[B] expected future return (raw score units)."""
    legal_mask: NDArray[np.bool_]
    """[B, A] legal actions."""


class NeuralNetwork:
    """Owns an `AlphaTriangleNet`, its device and the feature extractor for one board."""

    def __init__(
        self,
        *,
        model_config: ModelConfig,
        env_config: EnvConfig,
        device: str = "auto",
        seed: int | None = None,
    ) -> None:
        if seed is not None:
            torch.manual_seed(seed)
        self.model_config = model_config
        self.env_config = env_config
        self.device = resolve_device(device)
        self.features = FeatureExtractor(env_config)
        self.value_support = ValueSupport(model_config)
        model = AlphaTriangleNet(model_config, self.features.spec)
        model.start_value_head_at(self.value_support.two_hot(torch.zeros(1))[0])
        self.model = model.to(self.device)
        self.model.eval()

    @property
    def action_dim(self) -> int:
        return self.features.spec.action_dim

    # --- inference ---

    def evaluate_batch(self, states: Sequence[GameState]) -> BatchEvaluation:
        """Masked policies and values for every state, in one forward pass."""
        return self.evaluate_features(self.features.extract(states))

    def evaluate_features(self, features: FeatureBatch) -> BatchEvaluation:
        """As `evaluate_batch`, for features already built.

        The model stays in eval mode between training steps (`Trainer.train_step` puts
        it back), so batch norm uses its running statistics here without a mode switch
        on this hot path.
        """
        legal = features.legal_mask(self.features.spec.num_slots)
        with torch.inference_mode():
            grid = torch.from_numpy(features.grid).to(self.device)
            other = torch.from_numpy(features.other).to(self.device)
            policy_logits, value_logits = self.model(grid, other)
            legal_t = torch.from_numpy(legal).to(self.device)
            policy_logits = policy_logits.float().masked_fill(~legal_t, float("-inf"))
            policy = torch.softmax(policy_logits, dim=1).nan_to_num_(0.0)
            value = self.value_support.expected_value(value_logits)
        return BatchEvaluation(
            policy=policy.cpu().numpy(), value=value.cpu().numpy(), legal_mask=legal
        )

    # --- weights ---

    def get_weights(self) -> StateDict:
        """A CPU copy of the weights, ready to broadcast to workers."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def set_weights(self, weights: Mapping[str, torch.Tensor]) -> None:
        """Load weights from `get_weights` of a network with the same shape."""
        self._check_fits(weights, source="the given weights")
        self.model.load_state_dict(dict(weights))

    def save(self, path: Path | str) -> Path:
        """Write the weights atomically (beside, then rename) with torch's safe format."""
        weights = self.get_weights()
        return write_atomically(path, lambda handle: torch.save(weights, handle))

    def load(self, path: Path | str) -> None:
        """Load weights saved by `save` weights-only: no code runs from the file."""
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(f"checkpoint {source} does not exist")
        try:
            weights = torch.load(source, map_location="cpu", weights_only=True)
        except Exception as error:
            raise CheckpointMismatchError(
                f"checkpoint {source} cannot be read as network weights: {error}"
            ) from error
        if not isinstance(weights, dict):
            raise CheckpointMismatchError(f"checkpoint {source} does not hold a state dict")
        self.set_weights(weights)

    def _check_fits(self, weights: Mapping[str, torch.Tensor], *, source: str) -> None:
        expected = self.model.state_dict()
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        if missing or unexpected:
            raise CheckpointMismatchError(
                f"{source} do not fit this network: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}"
            )
        for name, tensor in expected.items():
            if tuple(weights[name].shape) != tuple(tensor.shape):
                raise CheckpointMismatchError(
                    f"{source} do not fit this network: {name} has shape "
                    f"{tuple(weights[name].shape)}, the network expects {tuple(tensor.shape)} "
                    f"(board {self.env_config.ROWS}x{self.env_config.COLS} with "
                    f"{self.env_config.NUM_SHAPE_SLOTS} slots, "
                    f"{self.model_config.trunk_channels} trunk channels)"
                )
