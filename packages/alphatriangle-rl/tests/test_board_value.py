"""The board value: its inputs, the search's dot product against the trainer's forward pass
(also after a checkpoint), its starting point (the planner's moves), and its training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from trianglengin import GameState

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, TurnSearchConfig
from alphatriangle.nn import BOARD_VALUE_INPUT_NAMES, STARTING_POINTS, NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer
from alphatriangle.rl.experience import ExperienceBatch
from alphatriangle.rl.game import GameTables, encode_states
from alphatriangle.rl.search import (
    BoardPointsValue,
    HandValue,
    afterstate_value_of,
    board_inputs,
    search_turns,
)
from alphatriangle.rl.search.hand_value import DEFAULT_HAND_WEIGHTS, hand_afterstate_terms

from .test_refill_ply import positions_of_real_games

SMALL = EnvConfig(ROWS=4, COLS=7, PLAYABLE_RANGE_PER_ROW=[(1, 6), (0, 7), (0, 7), (1, 6)])
TINY_MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)


def real_boards(env: EnvConfig, count: int = 40) -> np.ndarray:
    """Boards of planner games part-way through, and empty ones."""
    tables = GameTables.for_env(env)
    states = positions_of_real_games(env, list(range(30, 30 + count)), moves=12)
    states += [GameState(env, initial_seed=s) for s in (1, 2)]
    occupied: np.ndarray = encode_states(tables, states).occupied
    return occupied


@pytest.mark.parametrize("env", [EnvConfig(), SMALL], ids=["default board", "4x7 board"])
def test_board_inputs_count_what_they_name(env: EnvConfig) -> None:
    tables = GameTables.for_env(env)
    boards = real_boards(env, 12)
    inputs = board_inputs(tables, boards)
    assert inputs.shape == (boards.shape[0], len(BOARD_VALUE_INPUT_NAMES))
    column = {name: inputs[:, i] for i, name in enumerate(BOARD_VALUE_INPUT_NAMES)}
    alive, board = hand_afterstate_terms(tables, boards, DEFAULT_HAND_WEIGHTS)
    np.testing.assert_allclose(column["planner_value"], alive + board)
    np.testing.assert_array_equal(column["bias"], 1.0)
    shares = sum(column[n] for n in BOARD_VALUE_INPUT_NAMES if n.startswith("shapes_fit_"))
    np.testing.assert_allclose(shares, 1.0)  # every shape of the table falls in one bin
    lines = sum(column[n] for n in BOARD_VALUE_INPUT_NAMES if n.startswith("lines_empty_"))
    assert np.all(lines <= tables.num_lines) and lines.max() > 0
    neighbours = column["isolated"] + column["dead_end"] + column["narrow"] + column["open"]
    np.testing.assert_array_equal(neighbours, column["empty_cells"])
    assert column["empty_cells"].max() == tables.playable.sum()  # the empty board


def trained_network(env: EnvConfig) -> NeuralNetwork:
    """A network whose board value has moved away from its start."""
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env, seed=3)
    rng = np.random.default_rng(0)
    network.model.board_value.set_coefficients(rng.normal(0, 2, len(BOARD_VALUE_INPUT_NAMES)))
    return network


def test_the_search_values_boards_as_the_trainer_forward_pass_does(tmp_path: Path) -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    boards = real_boards(env, 20)
    network = trained_network(env)
    inputs = torch.from_numpy(board_inputs(tables, boards).astype(np.float32))
    with torch.no_grad():
        forward = network.model.board_value(inputs).double().numpy()
    searched = BoardPointsValue(network).points(tables, boards)
    np.testing.assert_allclose(searched, forward, rtol=1e-4, atol=1e-3)
    path = network.save(tmp_path / "board.pt")
    loaded = NeuralNetwork.from_checkpoint(path, device="cpu")
    np.testing.assert_allclose(BoardPointsValue(loaded).points(tables, boards), searched)


def test_a_checkpoint_from_before_the_board_value_starts_it_at_the_planner(
    tmp_path: Path,
) -> None:
    network = trained_network(EnvConfig())
    weights = {k: v for k, v in network.get_weights().items() if not k.startswith("board_value.")}
    fresh = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig())
    fresh.set_weights(weights)
    coefficients = fresh.board_value_coefficients()
    expected = np.zeros(len(BOARD_VALUE_INPUT_NAMES))
    expected[BOARD_VALUE_INPUT_NAMES.index("bias")] = STARTING_POINTS
    expected[BOARD_VALUE_INPUT_NAMES.index("planner_value")] = 1.0
    np.testing.assert_allclose(coefficients, expected, atol=1e-5)


def test_the_untrained_board_value_plays_the_planners_moves() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    states = positions_of_real_games(env, [41, 42, 43, 44], moves=7)
    states += [GameState(env, initial_seed=s) for s in (45, 46)]
    roots = encode_states(tables, states)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env)
    value = afterstate_value_of(TurnSearchConfig(turn_value="board"), network)
    assert isinstance(value, BoardPointsValue)

    def moves(v: HandValue | BoardPointsValue) -> np.ndarray:
        rngs = [np.random.default_rng([i, 4]) for i in range(len(states))]
        action: np.ndarray = search_turns(tables, roots, v, rngs).action
        return action

    np.testing.assert_array_equal(moves(value), moves(HandValue()))


def test_the_board_value_asks_for_a_network_that_holds_one() -> None:
    with pytest.raises(ValueError, match="board value"):
        afterstate_value_of(TurnSearchConfig(turn_value="board"), None)


def test_training_moves_the_board_value_to_its_targets() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env, seed=1)
    trainer = Trainer(network=network, config=TrainConfig(batch_size=64, learning_rate=1e-2))
    boards = real_boards(env, 30)
    inputs = board_inputs(tables, boards).astype(np.float32)
    # targets a linear value can reach: a level of 150 plus 3 points per empty cell
    targets = 150.0 + 3.0 * inputs[:, BOARD_VALUE_INPUT_NAMES.index("empty_cells")]
    features = network.features.extract(
        __import__("alphatriangle.rl.game", fromlist=["afterstate_positions"]).afterstate_positions(
            tables, boards
        )
    )
    batch = ExperienceBatch(
        grid=features.grid,
        other=features.other,
        policy_target=np.zeros((len(boards), 0), np.float32),
        value_target=targets.astype(np.float32),
        board_inputs=inputs,
    )
    buffer = ExperienceBuffer(capacity=1_000)
    buffer.add(batch)

    def error() -> float:
        return float(np.abs(BoardPointsValue(network).points(tables, boards) - targets).mean())

    before = error()
    losses = [trainer.train_step(buffer.sample(64)).board_value_loss for _ in range(300)]
    assert losses[0] > 0.0
    assert error() < 0.3 * before
    assert losses[-1] < 0.3 * losses[0]
