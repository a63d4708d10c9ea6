"""Shared fixtures: small boards, tiny networks and a uniform evaluator."""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState, Shape

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.nn import BatchEvaluation, NeuralNetwork, Positions

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(
    trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21
)


class UniformEvaluator:
    """A network that knows nothing: uniform prior over legal moves, value 0."""

    def __init__(self, env_config: EnvConfig) -> None:
        self.env_config = env_config
        self.calls: list[int] = []

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        self.calls.append(len(positions))
        legal = positions.legal
        counts = np.maximum(legal.sum(axis=1, keepdims=True), 1)
        return BatchEvaluation(
            policy=(legal / counts).astype(np.float32),
            value=np.zeros(len(positions), np.float32),
            legal_mask=legal,
        )


@pytest.fixture
def uniform_default() -> UniformEvaluator:
    return UniformEvaluator(EnvConfig())


@pytest.fixture
def tiny_network() -> NeuralNetwork:
    return NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig(), device="cpu", seed=0)


def line_clear_position() -> tuple[GameState, int]:
    """Row 3 full but for the up-triangle at (3, 6); slot 0 holds a single up-triangle.

    Returns the state and the one action that completes the row.
    """
    env = EnvConfig()
    state = GameState(env, initial_seed=0)
    start, end = env.PLAYABLE_RANGE_PER_ROW[3]
    gap = 6
    for col in range(start, end):
        if col != gap:
            state.debug_toggle_cell(3, col)
    single_up = Shape([(0, 0, True)], (255, 0, 0), 0)
    state.debug_set_shapes([single_up] + [None] * (env.NUM_SHAPE_SLOTS - 1))
    return state, 3 * env.COLS + gap


@pytest.fixture
def line_clear() -> tuple[GameState, int]:
    return line_clear_position()


@pytest.fixture
def small_board() -> EnvConfig:
    return SMALL_BOARD


@pytest.fixture
def tiny_model() -> ModelConfig:
    return TINY_MODEL
