"""NeuralNetwork: the evaluator the search calls, and the weights the trainer updates.

`evaluate_batch` is the one call per search round: features for every leaf's
`Positions`, one forward pass under `torch.inference_mode`, legal-move masking and
a softmax, all for the whole batch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from alphatriangle.config import EnvConfig, ModelConfig

from .atomic_file import write_atomically
from .board import check_same_board, describe_board
from .board_value import BoardValueHead, Pattern
from .device import resolve_device
from .errors import CheckpointMismatchError
from .features import FeatureBatch, FeatureExtractor, Positions
from .model import AlphaTriangleNet
from .value_support import ValueSupport

StateDict = dict[str, torch.Tensor]
BOARD_VALUE_PREFIX = "board_value."
"""Where the board value's tensors sit in the model's weights."""
logger = logging.getLogger(__name__)


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

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        """Masked policies and values for every position, in one forward pass."""
        return self.evaluate_features(self.features.extract(positions))

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

    def board_value_coefficients(self) -> NDArray[np.float64]:
        """[F] points per unit of each board value input (`board_value_inputs`)."""
        return self.model.board_value.coefficients()

    @property
    def board_value_patterns(self) -> tuple[Pattern, ...]:
        """The local patterns the board value reads (`[model] board_value_patterns`)."""
        return self.model.board_value.patterns

    @property
    def board_value_input_count(self) -> int:
        """The inputs the board value reads: its summary, then its patterns' counts."""
        return len(self.model.board_value.input_names)

    # --- weights ---

    def get_weights(self) -> StateDict:
        """A CPU copy of the weights, ready to broadcast to workers."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def set_weights(
        self, weights: Mapping[str, torch.Tensor], *, source: str = "the given weights"
    ) -> None:
        """Load weights from `get_weights` of a network with the same shape."""
        weights = self._with_board_value(weights, source=source)
        self._check_fits(weights, source=source)
        self.model.load_state_dict(dict(weights))

    def save(self, path: Path | str, extra: Mapping[str, object] | None = None) -> Path:
        """Write a self-describing checkpoint atomically (beside, then rename).

        The file holds the weights under `model_state` and the model and board
        configs as JSON text, so `from_checkpoint` can rebuild the network without
        being told its shape. `extra` entries (optimizer state, counters) ride along;
        they must be tensors or plain Python values so the weights-only loader
        reads them back.
        """
        payload: dict[str, object] = dict(extra or {})
        payload.update(
            model_state=self.get_weights(),
            model_config=self.model_config.model_dump_json(),
            env_config=self.env_config.model_dump_json(),
        )
        return write_atomically(path, lambda handle: torch.save(payload, handle))

    def load(self, path: Path | str) -> None:
        """Load the weights of a checkpoint written by `save`; no code runs from the file.

        A checkpoint recorded for another board is refused before its tensors are
        compared, with both boards named, because that is the mistake users make.
        """
        payload = read_checkpoint(path)
        recorded = payload.get("env_config")
        if isinstance(recorded, str):
            check_same_board(
                EnvConfig.model_validate_json(recorded),
                self.env_config,
                recorded_by=f"checkpoint {path}",
                expected_by="this network is for",
            )
        weights = payload["model_state"]
        assert isinstance(weights, dict)
        self.set_weights(weights, source=f"checkpoint {path}")

    @classmethod
    def from_checkpoint(cls, path: Path | str, *, device: str = "auto") -> NeuralNetwork:
        """A network of the shape the checkpoint records, holding its weights."""
        payload = read_checkpoint(path)
        try:
            model_config = ModelConfig.model_validate_json(str(payload["model_config"]))
            env_config = EnvConfig.model_validate_json(str(payload["env_config"]))
        except (KeyError, ValueError) as error:
            raise CheckpointMismatchError(
                f"checkpoint {path} does not record its model and board configs: {error}"
            ) from error
        network = cls(model_config=model_config, env_config=env_config, device=device)
        weights = payload["model_state"]
        assert isinstance(weights, dict)
        network.set_weights(weights, source=f"checkpoint {path}")
        return network

    def _with_board_value(
        self, weights: Mapping[str, torch.Tensor], *, source: str
    ) -> Mapping[str, torch.Tensor]:
        """Weights written before the board value existed lack its tensors: they get the
        untrained board value (the planner's judgement), and the log says so. Weights of a
        board value with fewer inputs (written before the later inputs existed: the
        inputs only grow at the end) keep their coefficients, the new inputs start at 0."""
        own = {
            name: tensor
            for name, tensor in self.model.state_dict().items()
            if name.startswith(BOARD_VALUE_PREFIX)
        }
        if not own:
            return weights
        head = BoardValueHead(self.board_value_patterns)
        fresh = {BOARD_VALUE_PREFIX + name: t for name, t in head.state_dict().items()}
        if not any(name in weights for name in own):
            logger.info("%s has no board value: it starts at the planner's value", source)
            return {**weights, **fresh}
        weight, sizes = BOARD_VALUE_PREFIX + "weight", BOARD_VALUE_PREFIX + "input_size"
        if weight not in weights or sizes not in weights:
            return weights
        known = weights[weight].shape[0]
        total = fresh[weight].shape[0]
        if known >= total or not torch.equal(weights[sizes], fresh[sizes][:known]):
            return weights  # not an older input list: `_check_fits` names the mismatch
        logger.info(
            "%s has a board value over %d inputs: the %d added since start at 0",
            source,
            known,
            total - known,
        )
        grown = fresh[weight].clone().zero_()
        grown[:known] = weights[weight]
        return {**weights, weight: grown, sizes: fresh[sizes]}

    def _check_fits(self, weights: Mapping[str, torch.Tensor], *, source: str) -> None:
        expected = self.model.state_dict()
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        if missing or unexpected:
            raise CheckpointMismatchError(
                f"{source} does not fit this network: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}"
            )
        for name, tensor in expected.items():
            if tuple(weights[name].shape) != tuple(tensor.shape):
                raise CheckpointMismatchError(
                    f"{source} does not fit this network: {name} has shape "
                    f"{tuple(weights[name].shape)}, the network expects {tuple(tensor.shape)} "
                    f"(board of {describe_board(self.env_config)}, "
                    f"{self.model_config.trunk_channels} trunk channels)"
                )


def read_checkpoint(path: Path | str) -> dict[str, object]:
    """The payload of a checkpoint written by `NeuralNetwork.save`, read weights-only.

    Raises FileNotFoundError for a missing file and CheckpointMismatchError, naming
    the file, for one that is truncated, corrupt or not a checkpoint.
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"checkpoint {source} does not exist")
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointMismatchError(
            f"checkpoint {source} cannot be read (truncated, corrupt or not a checkpoint): {error}"
        ) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("model_state"), dict):
        raise CheckpointMismatchError(f"checkpoint {source} does not hold a model_state dict")
    return payload
