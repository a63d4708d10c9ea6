"""The board value fitted by least squares over what the trainer has seen lately.

The board value is linear in its inputs, so the coefficients that fit the replayed
targets best are one small linear solve away: an optimiser walking there a step at a
time either crawls (small steps) or overshoots the rare inputs (large ones), and a run
of 10 minutes trained the local patterns to nothing that way while least squares on the
same kind of targets made them worth 45 points at one ply (`benchmarks/value_screen.py`).
So the trainer keeps the weighted sums a least-squares fit needs (the inputs' Gram
matrix and their products with the targets) over the batches it trains on, each step
fading the old ones by `1 - 1/memory_steps` because the targets move as the value they
bootstrap from moves, and solves for the coefficients after every step.

The fit works on the inputs divided by their typical sizes (the head's own scale) and is
pulled towards the untrained value's coefficients (the planner's judgement) by two
ridges: one proportional to each input's own second moment (the fit of standardised
inputs), and one of a fixed weight, `prior_boards`, which data soon outweighs. The fixed
one is what keeps a run alive at its start: the first batches hold only the opening
boards of the first games, and a fit with the proportional ridge alone gives the local
patterns those boards never vary wild weights, which the search then seeks out on fuller
boards; its games grow short and the buffer never broadens (a 10-minute run never
recovered). With nothing seen yet the fit is the untrained value exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

FLOOR = 1e-4
"""The ridge's least second moment, as a share of the samples' weight: an input never
seen (all zeros so far) is held at its starting coefficient rather than left singular."""


class LeastSquaresFit:
    """Fading sums of one linear fit, and the ridge solution they give."""

    def __init__(
        self,
        prior: NDArray[np.float64],
        memory_steps: int,
        ridge: float,
        prior_boards: float = 0.0,
    ) -> None:
        if memory_steps < 1:
            raise ValueError(f"memory_steps must be at least 1, got {memory_steps}")
        if ridge <= 0:
            raise ValueError(f"ridge must be above 0, got {ridge}")
        if prior_boards < 0:
            raise ValueError(f"prior_boards must not be negative, got {prior_boards}")
        self.prior_boards = prior_boards
        """The prior's own weight: as many boards whose every scaled input is 1."""
        self.prior = np.asarray(prior, np.float64).copy()
        """[F] the coefficients (on scaled inputs) the fit is pulled towards."""
        self.keep = 1.0 - 1.0 / memory_steps
        self.ridge = ridge
        size = self.prior.size
        self.gram = np.zeros((size, size))
        self.moment = np.zeros(size)
        self.weight = 0.0

    def add(
        self,
        inputs: NDArray[np.float64],
        targets: NDArray[np.float64],
        weights: NDArray[np.float64],
    ) -> None:
        """Fade what was seen, then add one batch: [B, F] scaled inputs, [B] targets and
        [B] sample weights (importance weights of a prioritised buffer)."""
        weighted = inputs * weights[:, None]
        self.gram *= self.keep
        self.moment *= self.keep
        self.weight *= self.keep
        self.gram += weighted.T @ inputs
        self.moment += weighted.T @ targets
        self.weight += float(weights.sum())

    def solve(self) -> NDArray[np.float64]:
        """[F] the ridge solution on scaled inputs; the prior before anything was added."""
        if self.weight <= 0:
            return self.prior.copy()
        second = np.maximum(np.diag(self.gram), FLOOR * self.weight)
        penalty = self.ridge * second + self.prior_boards
        system = self.gram + np.diag(penalty)
        solution = np.linalg.solve(system, self.moment + penalty * self.prior)
        return np.asarray(solution, np.float64)

    def state_dict(self) -> dict[str, Any]:
        """The sums, as tensors (a checkpoint's weights-only loader reads no numpy arrays):
        what resuming needs to fit as the run would have."""
        return {
            "gram": torch.from_numpy(self.gram.copy()),
            "moment": torch.from_numpy(self.moment.copy()),
            "weight": self.weight,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        gram = torch.as_tensor(state["gram"]).double().numpy()
        if gram.shape != self.gram.shape:
            raise ValueError(
                f"board value fit over {gram.shape[0]} inputs cannot resume one over "
                f"{self.gram.shape[0]}"
            )
        self.gram = gram.copy()
        self.moment = torch.as_tensor(state["moment"]).double().numpy().copy()
        self.weight = float(state["weight"])
