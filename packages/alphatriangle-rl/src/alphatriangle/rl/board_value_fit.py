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

Fitted `within_positions` (an option), the sums are of the differences between the boards of each
searched position (each board less its position's mean, inputs and target) and take
each target once, as it arrives, not as replay draws it: the search only ever compares
boards of one position, and fitted to the boards' levels the value spends its few
hundred weights on what makes one position richer than another, which no choice asks.
On 77,000 boards of the ply past the refill the fit of differences played 290 at one ply
where the fit of levels played 256 (400 tuning games; `benchmarks/value_screen.py`);
with the ply past the refill the two were within the noise (-12 +- 21 on 120 games).
In a 60-minute run the fit of differences did no better than the fit of levels (one
seed, 100 evaluation games: 304.7 against 343.9 with the ply, 225.6 against 235.5 at
one ply), so it is an option (`board_value_fit = "within_positions"`), not the default.
The level, which prices survival against an ended game inside the ply, is then set by
the mean residual over every board seen.
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
        self.level_inputs = np.zeros(size)
        """[F] the faded sum of the boards' scaled inputs (`add_positions` only)."""
        self.level_targets = 0.0
        """The faded sum of their targets: with `level_inputs`, the mean residual."""
        self.levelled = False
        """Whether the sums are of differences within positions, the level set apart."""

    def fade(self) -> None:
        """Shrink what was seen by the fading factor (once a training step)."""
        self.gram *= self.keep
        self.moment *= self.keep
        self.weight *= self.keep
        self.level_inputs *= self.keep
        self.level_targets *= self.keep

    def add(
        self,
        inputs: NDArray[np.float64],
        targets: NDArray[np.float64],
        weights: NDArray[np.float64],
    ) -> None:
        """Fade what was seen, then add one batch: [B, F] scaled inputs, [B] targets and
        [B] sample weights (importance weights of a prioritised buffer)."""
        weighted = inputs * weights[:, None]
        self.fade()
        self.gram += weighted.T @ inputs
        self.moment += weighted.T @ targets
        self.weight += float(weights.sum())

    def add_positions(
        self,
        inputs: NDArray[np.float64],
        targets: NDArray[np.float64],
        position: NDArray[np.int64],
    ) -> None:
        """Add [B, F] scaled inputs and [B] targets of boards searched together, `position`
        [B] saying which boards were compared (numbered from 0): their differences within
        each position to the fit, their levels to the mean residual. Nothing fades."""
        self.levelled = True
        count = np.bincount(position).astype(np.float64)
        share = 1.0 / np.maximum(count, 1.0)
        mean_inputs = np.zeros((count.size, inputs.shape[1]))
        np.add.at(mean_inputs, position, inputs)
        mean_targets = np.bincount(position, weights=targets, minlength=count.size)
        centred = inputs - (mean_inputs * share[:, None])[position]
        centred_targets = targets - (mean_targets * share)[position]
        self.gram += centred.T @ centred
        self.moment += centred.T @ centred_targets
        self.weight += float(targets.size)
        self.level_inputs += inputs.sum(axis=0)
        self.level_targets += float(targets.sum())

    def solve(self) -> NDArray[np.float64]:
        """[F] the ridge solution on scaled inputs; the prior before anything was added.
        Fitted within positions, the first input (the constant) then takes the mean
        residual."""
        if self.weight <= 0:
            return self.prior.copy()
        second = np.maximum(np.diag(self.gram), FLOOR * self.weight)
        penalty = self.ridge * second + self.prior_boards
        system = self.gram + np.diag(penalty)
        solution = np.asarray(
            np.linalg.solve(system, self.moment + penalty * self.prior), np.float64
        )
        if self.levelled and self.level_inputs[0] > 0:
            residual = self.level_targets - float(self.level_inputs @ solution)
            solution[0] += residual / self.level_inputs[0]
        return solution

    def state_dict(self) -> dict[str, Any]:
        """The sums, as tensors (a checkpoint's weights-only loader reads no numpy arrays):
        what resuming needs to fit as the run would have."""
        return {
            "gram": torch.from_numpy(self.gram.copy()),
            "moment": torch.from_numpy(self.moment.copy()),
            "weight": self.weight,
            "level_inputs": torch.from_numpy(self.level_inputs.copy()),
            "level_targets": self.level_targets,
            "levelled": self.levelled,
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
        if "level_inputs" in state:  # saved before fits within positions: levels alone
            self.level_inputs = torch.as_tensor(state["level_inputs"]).double().numpy().copy()
            self.level_targets = float(state["level_targets"])
            self.levelled = bool(state["levelled"])
