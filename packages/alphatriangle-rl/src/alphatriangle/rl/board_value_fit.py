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
pulled towards the untrained value's coefficients (the planner's judgement) by a ridge
proportional to each input's own second moment: an input seldom seen stays near where it
started instead of taking a wild weight from a few boards, and with nothing seen yet the
fit is the untrained value exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOOR = 1e-4
"""The ridge's least second moment, as a share of the samples' weight: an input never
seen (all zeros so far) is held at its starting coefficient rather than left singular."""


class LeastSquaresFit:
    """Fading sums of one linear fit, and the ridge solution they give."""

    def __init__(self, prior: NDArray[np.float64], memory_steps: int, ridge: float) -> None:
        if memory_steps < 1:
            raise ValueError(f"memory_steps must be at least 1, got {memory_steps}")
        if ridge <= 0:
            raise ValueError(f"ridge must be above 0, got {ridge}")
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
        penalty = self.ridge * second
        system = self.gram + np.diag(penalty)
        solution = np.linalg.solve(system, self.moment + penalty * self.prior)
        return np.asarray(solution, np.float64)

    def state_dict(self) -> dict[str, Any]:
        """The sums: what resuming needs to fit as the run would have."""
        return {"gram": self.gram.copy(), "moment": self.moment.copy(), "weight": self.weight}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        gram = np.asarray(state["gram"], np.float64)
        if gram.shape != self.gram.shape:
            raise ValueError(
                f"board value fit over {gram.shape[0]} inputs cannot resume one over "
                f"{self.gram.shape[0]}"
            )
        self.gram = gram.copy()
        self.moment = np.asarray(state["moment"], np.float64).copy()
        self.weight = float(state["weight"])
