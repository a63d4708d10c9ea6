"""A categorical value representation that does not saturate as scores grow.

Game scores are unbounded and rise as the agent improves, so a tanh value head
would saturate. As in MuZero (Schrittwieser et al., 2020, Appendix F), values are
squashed with ``h(x) = sign(x) * (sqrt(|x| + 1) - 1) + eps * x`` and represented
as a distribution over evenly spaced atoms in h-space; a scalar target becomes a
"two-hot" vector on its two neighbouring atoms.
"""

from __future__ import annotations

import math

import torch

from alphatriangle.config import ModelConfig

EPSILON = 1e-3
"""The linear term of MuZero's transform, which keeps h invertible and Lipschitz."""


def squash(x: torch.Tensor) -> torch.Tensor:
    """h(x): compresses large values roughly to their square root."""
    return torch.sign(x) * (torch.sqrt(torch.abs(x) + 1.0) - 1.0) + EPSILON * x


def unsquash(y: torch.Tensor) -> torch.Tensor:
    """h^-1(y), in closed form."""
    inner = torch.sqrt(1.0 + 4.0 * EPSILON * (torch.abs(y) + 1.0 + EPSILON)) - 1.0
    return torch.sign(y) * ((inner / (2.0 * EPSILON)) ** 2 - 1.0)


def _squash_scalar(x: float) -> float:
    return math.copysign(math.sqrt(abs(x) + 1.0) - 1.0, x) + EPSILON * x


class ValueSupport:
    """Atoms in h-space between h(value_min) and h(value_max), and conversions to and from them."""

    def __init__(self, model_config: ModelConfig) -> None:
        self.num_atoms = model_config.value_atoms
        self.value_min = model_config.value_min
        self.value_max = model_config.value_max
        self.h_min = _squash_scalar(model_config.value_min)
        self.h_max = _squash_scalar(model_config.value_max)
        self.delta = (self.h_max - self.h_min) / (self.num_atoms - 1)

    def atoms(self, device: torch.device | None = None) -> torch.Tensor:
        """[K] atom positions in h-space."""
        return torch.linspace(self.h_min, self.h_max, self.num_atoms, device=device)

    def expected_value(self, logits: torch.Tensor) -> torch.Tensor:
        """[B, K] logits -> [B] raw values (expectation in h-space, then h^-1)."""
        probs = torch.softmax(logits.float(), dim=-1)
        return unsquash((probs * self.atoms(logits.device)).sum(dim=-1))

    def two_hot(self, values: torch.Tensor) -> torch.Tensor:
        """[B] raw values -> [B, K] target distributions (clipped to the support)."""
        h = squash(values.float()).clamp(self.h_min, self.h_max)
        position = (h - self.h_min) / self.delta
        lower = position.floor().long().clamp(0, self.num_atoms - 1)
        upper = (lower + 1).clamp(max=self.num_atoms - 1)
        upper_weight = position - lower.float()
        target = torch.zeros(values.shape[0], self.num_atoms, device=values.device)
        target.scatter_add_(1, lower.unsqueeze(1), (1.0 - upper_weight).unsqueeze(1))
        target.scatter_add_(1, upper.unsqueeze(1), upper_weight.unsqueeze(1))
        return target
