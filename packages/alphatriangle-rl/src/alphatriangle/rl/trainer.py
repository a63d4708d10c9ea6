"""Trainer: one optimiser step of the policy-value network on a replay batch.

Loss per position (weighted by its importance-sampling weight):
policy cross-entropy against the search policy over the legal moves, plus
`value_loss_weight` times the cross-entropy of the categorical value against the
two-hot target, minus `entropy_bonus_weight` times the policy's entropy; for
positions with board inputs (afterstates of a search that values boards with the
board value), also `value_loss_weight` times the board value's squared error, in
units of `BOARD_VALUE_LOSS_POINTS` points, when `board_value_fit = "optimiser"`; by
default the board value is instead solved for by least squares after each step
(`board_value_fit.py`), and its error is only reported. The per-position error |E[v] - z| (the
board value's, where it is trained) feeds the buffer's priorities. AdamW, global-norm
clipping, linear warm-up then cosine decay of the learning rate: over
`max_training_steps`, or over a time budget when the caller sets
`schedule_progress` (the budget's elapsed fraction) before each step.

A non-finite loss or gradient norm skips the update entirely (no optimiser or
schedule step, `global_step` unchanged) and says so in `TrainStepResult.skipped`:
one bad batch must not poison the weights; the caller counts and limits skips.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.optim.lr_scheduler import LambdaLR

from alphatriangle.config import TrainConfig
from alphatriangle.nn import BoardValueHead, NeuralNetwork

from .board_value_fit import LeastSquaresFit
from .buffer import SampledBatch
from .experience import ExperienceBatch

logger = logging.getLogger(__name__)

BOARD_VALUE_LOSS_POINTS = 100.0
"""The board value's error is squared in units of this many points: errors of tens of
points then weigh about as much as the network's cross-entropies."""


@dataclass(frozen=True, slots=True)
class TrainStepResult:
    """Losses and diagnostics of one optimiser step."""

    total_loss: float
    policy_loss: float
    value_loss: float
    entropy: float
    learning_rate: float
    grad_norm: float
    value_errors: NDArray[np.float32]  # [B] |predicted value - target|, for priorities
    board_value_loss: float = 0.0
    """The board value's mean squared error (in `BOARD_VALUE_LOSS_POINTS` units); 0 when
    the batch has no board inputs."""
    skipped: bool = False
    """The loss or gradient was NaN or infinite: nothing was updated."""

    def as_metrics(self) -> dict[str, float]:
        return {
            "total_loss": self.total_loss,
            "policy_loss": self.policy_loss,
            "value_loss": self.value_loss,
            "board_value_loss": self.board_value_loss,
            "entropy": self.entropy,
            "learning_rate": self.learning_rate,
            "grad_norm": self.grad_norm,
        }


def learning_rate_factor(step: int, config: TrainConfig, progress: float | None = None) -> float:
    """Multiplier of the peak learning rate at `step`: warm-up, then cosine to `lr_min_factor`.

    The cosine runs over the steps after the warm-up up to `max_training_steps`, or, when
    `progress` is given, over that fraction (0 to 1) of a time budget.
    """
    if config.lr_warmup_steps and step < config.lr_warmup_steps:
        return (step + 1) / config.lr_warmup_steps
    if progress is None:
        if config.max_training_steps is None:
            return 1.0
        span = max(1, config.max_training_steps - config.lr_warmup_steps)
        progress = (step - config.lr_warmup_steps) / span
    progress = min(1.0, max(0.0, progress))
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return config.lr_min_factor + (1.0 - config.lr_min_factor) * cosine


class Trainer:
    """Updates `network.model` in place on the network's device."""

    def __init__(self, *, network: NeuralNetwork, config: TrainConfig) -> None:
        self.network = network
        self.config = config
        self.device = network.device
        self.optimizer = torch.optim.AdamW(
            network.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.schedule_progress: float | None = None
        """Elapsed fraction of the run's time budget; None anneals over the step limit."""
        self.scheduler = LambdaLR(
            self.optimizer,
            lambda step: learning_rate_factor(step, config, self.schedule_progress),
        )
        self.global_step = 0
        self._board_input_size = network.model.board_value.input_size.cpu().double().numpy()
        """[F] the typical size of each board value input: the fit works on inputs / size."""
        self.board_value_fit = (
            LeastSquaresFit(
                BoardValueHead(network.board_value_patterns).coefficients()
                * self._board_input_size,
                memory_steps=config.board_value_memory_steps,
                ridge=config.board_value_ridge,
                prior_boards=config.board_value_prior_boards,
            )
            if config.board_value_fit != "optimiser"
            else None
        )
        """The board value's least-squares fit (None: AdamW trains it with the rest)."""
        self._fit_within_positions = config.board_value_fit == "within_positions"
        """Whether the fit takes arriving targets (`observe`) rather than replayed ones."""

    def observe(self, experiences: ExperienceBatch) -> None:
        """Take new targets into the board value's fit as they reach the buffer, each
        once, when it is fitted within positions (each searched position's boards
        compared); otherwise the fit reads the batches it trains on and this does
        nothing. The coefficients change at the next step."""
        if not self._fit_within_positions or self.board_value_fit is None:
            return
        if experiences.board_inputs.shape[1] == 0 or len(experiences) == 0:
            return
        self.board_value_fit.add_positions(
            experiences.board_inputs.astype(np.float64) / self._board_input_size,
            experiences.value_target.astype(np.float64),
            experiences.position,
        )

    def train_step(self, batch: SampledBatch) -> TrainStepResult:
        """One optimiser step; returns the losses and the per-position value errors."""
        model, support = self.network.model, self.network.value_support
        experiences = batch.experiences
        grid = torch.from_numpy(experiences.grid).to(self.device, torch.float32)
        other = torch.from_numpy(experiences.other).to(self.device)
        policy_target = torch.from_numpy(experiences.policy_target).to(self.device, torch.float32)
        value_target = torch.from_numpy(experiences.value_target).to(self.device)
        weights = torch.from_numpy(batch.weights).to(self.device)
        num_slots = self.network.features.spec.num_slots
        legal = grid[:, -num_slots:].flatten(1) > 0.5

        # Batch-norm statistics move in the forward pass; keep a copy so a skipped
        # update can put them back (they are small next to the weights).
        saved_buffers = [buffer.detach().clone() for buffer in model.buffers()]
        model.train()
        policy_logits, value_logits = model(grid, other)
        masked_logits = policy_logits.masked_fill(~legal, -1e9)
        log_policy = torch.log_softmax(masked_logits, dim=1)
        policy = log_policy.exp()
        entropy = -(policy * log_policy.masked_fill(~legal, 0.0)).sum(dim=1)
        if policy_target.shape[1] == 0:  # positions without a policy (afterstates)
            policy_loss = torch.zeros_like(entropy)
            policy_trained = 0.0  # nor does the entropy bonus move the head
        else:
            policy_loss = -(policy_target * log_policy).sum(dim=1)
            policy_trained = 1.0
        value_log_probs = torch.log_softmax(value_logits, dim=1)
        value_loss = -(support.two_hot(value_target) * value_log_probs).sum(dim=1)
        board_inputs = torch.from_numpy(experiences.board_inputs).to(self.device)
        if board_inputs.shape[1]:
            with torch.set_grad_enabled(self.board_value_fit is None):
                board_value = model.board_value(board_inputs)
            board_loss = ((board_value - value_target) / BOARD_VALUE_LOSS_POINTS).square()
        else:
            board_value, board_loss = None, torch.zeros_like(entropy)
        per_position = (
            policy_loss
            + self.config.value_loss_weight * (value_loss + board_loss)
            - policy_trained * self.config.entropy_bonus_weight * entropy
        )
        loss = (weights * per_position).mean()

        self.optimizer.zero_grad(set_to_none=True)
        learning_rate = self.optimizer.param_groups[0]["lr"]
        if not bool(torch.isfinite(loss)):
            return self._skipped(loss, float("nan"), learning_rate, saved_buffers, batch)
        loss.backward()
        clip = self.config.gradient_clip_norm
        grad_norm = torch.nn.utils.clip_grad_norm_(
            model.parameters(), clip if clip is not None else float("inf")
        )
        if not bool(torch.isfinite(grad_norm)):
            return self._skipped(loss, float(grad_norm), learning_rate, saved_buffers, batch)
        self.optimizer.step()
        self.scheduler.step()
        self.global_step += 1
        model.eval()
        if self.board_value_fit is not None and self._fit_within_positions:
            self.board_value_fit.fade()
            self._set_board_value(self.board_value_fit.solve())
        elif self.board_value_fit is not None and board_inputs.shape[1]:
            self._fit_board_value(board_inputs, value_target, weights)

        with torch.no_grad():
            predicted = (
                support.expected_value(value_logits.detach())
                if board_value is None
                else board_value.detach()
            )
            errors = (predicted - value_target).abs().cpu().numpy().astype(np.float32)
        return TrainStepResult(
            total_loss=float(loss.detach()),
            policy_loss=float(policy_loss.detach().mean()),
            value_loss=float(value_loss.detach().mean()),
            entropy=float(entropy.detach().mean()),
            learning_rate=float(learning_rate),
            grad_norm=float(grad_norm),
            value_errors=errors,
            board_value_loss=float(board_loss.detach().mean()),
        )

    def _fit_board_value(
        self, inputs: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
    ) -> None:
        """Add the batch to the least-squares sums and give the head their solution."""
        assert self.board_value_fit is not None
        size = self._board_input_size
        self.board_value_fit.add(
            inputs.detach().cpu().double().numpy() / size,
            targets.detach().cpu().double().numpy(),
            weights.detach().cpu().double().numpy(),
        )
        self._set_board_value(self.board_value_fit.solve())

    def _set_board_value(self, scaled: NDArray[np.float64]) -> None:
        """Give the head a solution on scaled inputs; a non-finite one (from a non-finite
        batch) leaves the value as it was."""
        if np.isfinite(scaled).all():
            self.network.model.board_value.set_coefficients(scaled / self._board_input_size)

    def _skipped(
        self,
        loss: torch.Tensor,
        grad_norm: float,
        learning_rate: float,
        saved_buffers: list[torch.Tensor],
        batch: SampledBatch,
    ) -> TrainStepResult:
        """Drop a non-finite update: no gradients kept, batch-norm statistics restored."""
        self.optimizer.zero_grad(set_to_none=True)
        model = self.network.model
        with torch.no_grad():
            for buffer, saved in zip(model.buffers(), saved_buffers, strict=True):
                buffer.copy_(saved)
        model.eval()
        size = len(batch.indices)
        return TrainStepResult(
            total_loss=float(loss.detach()),
            policy_loss=float("nan"),
            value_loss=float("nan"),
            entropy=float("nan"),
            learning_rate=float(learning_rate),
            grad_norm=grad_norm,
            value_errors=np.zeros(size, np.float32),
            skipped=True,
        )

    def state_dict(self) -> dict[str, Any]:
        """Optimiser, schedule and step: what resuming needs beside the weights."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "global_step": self.global_step,
            "board_value_fit": (
                None if self.board_value_fit is None else self.board_value_fit.state_dict()
            ),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.global_step = int(state["global_step"])
        saved_fit = state.get("board_value_fit")
        if self.board_value_fit is not None and saved_fit is not None:
            try:
                self.board_value_fit.load_state_dict(saved_fit)
            except ValueError as error:  # the head gained inputs since: fit afresh
                logger.warning("%s; the board value's fit starts afresh", error)
