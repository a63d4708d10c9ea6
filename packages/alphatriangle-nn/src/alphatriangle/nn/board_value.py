"""The board value: points still to come from an afterstate, linear in board features.

The turn search values thousands of boards per move, and the ply past the refill
multiplies that by its candidates and deals: a network call per batch of boards would
make the search the network's. A linear value over counts the compiled kernel makes
(fit counts, empty cells by neighbours, how empty each line is, and how often each
local pattern of filled and empty cells occurs: an n-tuple value whose weights are
shared across the board) costs a dot product per board, and learns from every board
the search values, not one per game. Its inputs are computed by the reinforcement-learning package
(`alphatriangle.rl.search.board_inputs`) in the order `board_value_inputs` names;
this head holds only the weights, so the trainer learns them in torch beside the
network and a checkpoint records them with it.

It starts as the planner's judgement, scaled to points: `STARTING_POINTS` plus the
planner's afterstate value (its `planner_value` input, weight 1), so an untrained
value plays the planner's moves, and the learning curve shows what training adds.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from alphatriangle.config import BoardPatternName, ModelConfig

SUMMARY_INPUTS: tuple[tuple[str, float], ...] = (
    ("bias", 1.0),
    ("planner_value", 10.0),
    ("refill_alive", 1.0),
    ("expected_placements", 100.0),
    ("refill_risk", 1.0),
    ("isolated", 5.0),
    ("dead_end", 5.0),
    ("narrow", 5.0),
    ("open", 10.0),
    ("empty_cells", 50.0),
    ("shapes_fit_0", 1.0),
    ("shapes_fit_1", 1.0),
    ("shapes_fit_2", 1.0),
    ("shapes_fit_3_4", 1.0),
    ("shapes_fit_5_8", 1.0),
    ("shapes_fit_9_16", 1.0),
    ("shapes_fit_17_up", 1.0),
    ("lines_empty_1", 5.0),
    ("lines_empty_2", 5.0),
    ("lines_empty_3", 5.0),
    ("lines_empty_4", 5.0),
    ("lines_empty_5", 5.0),
    ("lines_empty_6", 5.0),
    ("lines_empty_7_up", 5.0),
)
"""(name, typical size) of the board's summary counts, in order. The sizes scale the
inputs to about 1, so one learning rate suits every weight; they do not change what the
value can express."""
Pattern = tuple[str, int]
"""A local pattern: its name and its cells (`alphatriangle.rl.search.board_inputs`
places them around an anchor triangle)."""
LOCAL_PATTERNS: tuple[Pattern, ...] = (("strip", 6), ("wedge", 6))
"""The patterns the kernel can count: for each anchor triangle, which of six cells around
it are filled, counted by orientation and combination (2 x 64 inputs each), an n-tuple
value whose weights every anchor shares. Fitted offline to the ply's targets they took
half the ranking error the summary leaves (`benchmarks/value_screen.py`); trained by the
optimiser for 10 minutes they played no better than the summary alone, but fitted by
least squares in the run (the trainer's default) they took the search with the ply past
the refill 45 points above the summary trained by the optimiser (10 minutes, 60 tuning
seeds), at a third of self-play's speed. `[model] board_value_patterns` picks which the
value reads."""
if tuple(name for name, _ in LOCAL_PATTERNS) != get_args(BoardPatternName):
    raise AssertionError(f"LOCAL_PATTERNS {LOCAL_PATTERNS} do not name {BoardPatternName}")
PATTERN_COUNT_SIZE = 50.0
"""About the anchors of one orientation on the default board: a count reads as a share of
them, of the size of the other inputs, so an optimiser step moves every weight about alike
(and the least-squares fit's fixed ridge weighs them as it weighs the rest)."""
ORIENTATIONS = ("up", "down")


def patterns_of(model_config: ModelConfig) -> tuple[Pattern, ...]:
    """The patterns `[model] board_value_patterns` names, with their cells."""
    cells = dict(LOCAL_PATTERNS)
    return tuple((name, cells[name]) for name in model_config.board_value_patterns)


def pattern_inputs(patterns: tuple[Pattern, ...]) -> tuple[tuple[str, float], ...]:
    """(name, size) of each count of `patterns`, in the kernel's order: by pattern, then
    orientation, then combination (`strip_up_000101`: an up anchor whose strip has cells
    0 and 2 filled, the rest empty)."""
    return tuple(
        (f"{name}_{orientation}_{code:0{cells}b}", PATTERN_COUNT_SIZE)
        for name, cells in patterns
        for orientation in ORIENTATIONS
        for code in range(1 << cells)
    )


def board_value_inputs(patterns: tuple[Pattern, ...]) -> tuple[tuple[str, float], ...]:
    """Every input of a board value over `patterns`, in the order the head reads them: the
    summary counts, then the counts of each pattern."""
    return SUMMARY_INPUTS + pattern_inputs(patterns)


PATTERNS: tuple[Pattern, ...] = patterns_of(ModelConfig())
"""The patterns the default board value reads (`ModelConfig.board_value_patterns`)."""
BOARD_VALUE_INPUTS: tuple[tuple[str, float], ...] = board_value_inputs(PATTERNS)
"""The default board value's inputs."""
BOARD_VALUE_INPUT_NAMES = tuple(name for name, _ in BOARD_VALUE_INPUTS)
POINTS_PER_UNIT = 1000.0
"""The head's output unit in points. An optimiser step moves a weight by about the learning
rate whatever the gradient, so this sets how many points a step can move the value: at
the default rate of 1e-3 about one point per step and input, so coefficients tens of
points from the planner's (a screen fitted by least squares found such) are reached in
hundreds of steps, not tens of thousands."""
STARTING_POINTS = 100.0
"""The untrained value's level: about what a planner game still scores from a mid-game
board. It prices a refill that ends the game (worth 0) against boards that live on;
training moves it to what the search finds."""


class BoardValueHead(nn.Module):
    """[B, F] board inputs (in `board_value_inputs(patterns)` order) -> [B] points still
    to come."""

    input_size: torch.Tensor

    def __init__(self, patterns: tuple[Pattern, ...] = PATTERNS) -> None:
        super().__init__()
        self.patterns = patterns
        """The local patterns read after the summary: the search counts the same."""
        inputs = board_value_inputs(patterns)
        self.input_names = tuple(name for name, _ in inputs)
        sizes = torch.tensor([size for _, size in inputs], dtype=torch.float32)
        self.register_buffer("input_size", sizes)
        self.weight = nn.Parameter(torch.zeros(len(inputs)))
        self.start_at_planner()

    def start_at_planner(self) -> None:
        """`STARTING_POINTS` plus the planner's value: the untrained value plays the planner."""
        coefficients = np.zeros(len(self.input_names), np.float64)
        coefficients[self.input_names.index("bias")] = STARTING_POINTS
        coefficients[self.input_names.index("planner_value")] = 1.0
        self.set_coefficients(coefficients)

    def set_coefficients(self, coefficients: NDArray[np.float64]) -> None:
        """Set the points per unit of each input (the inverse of `coefficients`)."""
        if coefficients.shape != (len(self.input_names),):
            raise ValueError(
                f"expected {len(self.input_names)} board value coefficients, "
                f"got {coefficients.shape}"
            )
        size = self.input_size.detach().cpu().double().numpy()
        with torch.no_grad():
            self.weight.copy_(torch.from_numpy(coefficients * size / POINTS_PER_UNIT))

    def coefficients(self) -> NDArray[np.float64]:
        """[F] points per unit of each input: what the search multiplies the inputs by."""
        weight = self.weight.detach().cpu().double().numpy()
        size = self.input_size.detach().cpu().double().numpy()
        scaled: NDArray[np.float64] = weight * POINTS_PER_UNIT / size
        return scaled

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = POINTS_PER_UNIT * ((inputs / self.input_size) @ self.weight)
        return out
