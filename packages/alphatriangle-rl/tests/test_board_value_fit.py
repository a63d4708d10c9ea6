"""The board value's least-squares fit: it finds reachable coefficients, starts at and
leans towards the untrained value, forgets old targets, and resumes exactly."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from alphatriangle.config import EnvConfig, TrainConfig
from alphatriangle.nn import BOARD_VALUE_INPUTS, NeuralNetwork
from alphatriangle.rl import ExperienceBatch, ExperienceBuffer, Trainer
from alphatriangle.rl.board_value_fit import LeastSquaresFit

from .test_board_value import TINY_MODEL


def linear_data(
    count: int, coefficients: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = np.c_[np.ones(count), rng.normal(size=(count, coefficients.size - 1))]
    return inputs, inputs @ coefficients + rng.normal(scale=0.1, size=count)


def test_the_fit_finds_coefficients_a_linear_value_can_reach() -> None:
    truth = np.array([150.0, 3.0, -2.0, 0.5])
    inputs, targets = linear_data(2_000, truth)
    fit = LeastSquaresFit(np.zeros(4), memory_steps=1_000, ridge=1e-6)
    fit.add(inputs, targets, np.ones(len(targets)))
    np.testing.assert_allclose(fit.solve(), truth, atol=0.02)


def test_with_nothing_seen_the_fit_is_the_prior_and_unseen_inputs_keep_theirs() -> None:
    prior = np.array([100.0, 1.0, 7.0])
    fit = LeastSquaresFit(prior, memory_steps=10, ridge=1e-3)
    np.testing.assert_array_equal(fit.solve(), prior)
    inputs, targets = linear_data(500, np.array([40.0, 2.0, 0.0]))
    inputs[:, 2] = 0.0  # the third input never occurs
    fit.add(inputs, targets, np.ones(len(targets)))
    solved = fit.solve()
    assert solved[2] == pytest.approx(7.0)
    assert solved[0] == pytest.approx(40.0, abs=0.1)


def test_the_fit_forgets_targets_it_saw_long_ago() -> None:
    inputs, old = linear_data(500, np.array([10.0, 1.0]))
    _, new = linear_data(500, np.array([50.0, 1.0]), seed=1)
    fit = LeastSquaresFit(np.zeros(2), memory_steps=5, ridge=1e-6)
    fit.add(inputs, old, np.ones(500))
    for _ in range(40):
        fit.add(inputs, new, np.ones(500))
    assert fit.solve()[0] == pytest.approx(50.0, abs=0.5)


def test_fitted_within_positions_the_fit_learns_differences_and_sets_the_level_apart() -> None:
    """Each position's boards share a level their inputs do not explain, and richer
    positions (a larger first input on average) have higher levels: a fit of levels
    credits the input with the positions' wealth, a fit of differences within each
    position finds its true weight, and its constant makes the mean residual zero."""
    rng = np.random.default_rng(4)
    positions, per = 400, 4
    position = np.repeat(np.arange(positions), per)
    centre = rng.normal(size=positions) * 3.0
    inputs = np.c_[np.ones(positions * per), centre[position] + rng.normal(size=positions * per)]
    level = 50.0 + 10.0 * centre + rng.normal(size=positions) * 5.0
    targets = level[position] + 2.0 * inputs[:, 1] + rng.normal(scale=0.1, size=position.size)
    levels = LeastSquaresFit(np.zeros(2), memory_steps=1_000, ridge=1e-6)
    levels.add(inputs, targets, np.ones(position.size))
    within = LeastSquaresFit(np.zeros(2), memory_steps=1_000, ridge=1e-6)
    within.add_positions(inputs, targets, position)
    assert levels.solve()[1] > 8.0  # the positions' wealth, not the input's worth
    solved = within.solve()
    assert solved[1] == pytest.approx(2.0, abs=0.05)
    assert np.mean(targets - inputs @ solved) == pytest.approx(0.0, abs=1e-6)


def test_fitted_within_positions_a_board_alone_in_its_position_sets_only_the_level() -> None:
    prior = np.array([5.0, 1.0])
    fit = LeastSquaresFit(prior, memory_steps=10, ridge=1e-3, prior_boards=1.0)
    inputs = np.c_[np.ones(50), np.linspace(0.0, 1.0, 50)]
    targets = 100.0 + 40.0 * inputs[:, 1]
    fit.add_positions(inputs, targets, np.arange(50))  # nothing was compared
    solved = fit.solve()
    assert solved[1] == pytest.approx(1.0)
    assert np.mean(targets - inputs @ solved) == pytest.approx(0.0, abs=1e-9)


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="memory_steps"):
        LeastSquaresFit(np.zeros(2), memory_steps=0, ridge=1.0)
    with pytest.raises(ValueError, match="ridge"):
        LeastSquaresFit(np.zeros(2), memory_steps=1, ridge=0.0)
    with pytest.raises(ValueError, match="prior_boards"):
        LeastSquaresFit(np.zeros(2), memory_steps=1, ridge=1.0, prior_boards=-1.0)


def trainer_after_steps(steps: int) -> Trainer:
    """A trainer whose fit has seen `steps` batches of board inputs with linear targets."""
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig(), seed=3)
    trainer = Trainer(network=network, config=TrainConfig(batch_size=32))
    size = np.array([s for _, s in BOARD_VALUE_INPUTS])
    rng = np.random.default_rng(5)
    assert trainer.board_value_fit is not None
    for _ in range(steps):
        inputs = rng.uniform(0, 2, size=(32, size.size)) * size
        targets = inputs[:, 1] * 4.0 + 20.0
        trainer.board_value_fit.add(inputs / size, targets, np.ones(32))
    return trainer


def test_the_fit_resumes_where_it_stopped_and_starts_afresh_over_other_inputs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trainer = trainer_after_steps(20)
    assert trainer.board_value_fit is not None
    resumed = trainer_after_steps(0)
    resumed.load_state_dict(trainer.state_dict())
    assert resumed.board_value_fit is not None
    np.testing.assert_array_equal(resumed.board_value_fit.solve(), trainer.board_value_fit.solve())

    state = trainer.state_dict()
    fewer = state["board_value_fit"]
    state["board_value_fit"] = {
        "gram": fewer["gram"][:-1, :-1],
        "moment": fewer["moment"][:-1],
        "weight": fewer["weight"],
    }
    fresh = trainer_after_steps(0)
    with caplog.at_level(logging.WARNING):
        fresh.load_state_dict(state)
    assert "starts afresh" in caplog.text
    assert fresh.board_value_fit is not None
    np.testing.assert_array_equal(fresh.board_value_fit.solve(), fresh.board_value_fit.prior)


def test_the_trainer_fits_arriving_targets_within_positions_at_its_next_step() -> None:
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig(), seed=3)
    replayed = Trainer(network=network, config=TrainConfig(board_value_fit="least_squares"))
    trainer = Trainer(
        network=NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig(), seed=3),
        config=TrainConfig(board_value_fit="within_positions"),
    )
    size = np.array([s for _, s in BOARD_VALUE_INPUTS])
    spec = network.features.spec
    rng = np.random.default_rng(6)
    inputs = (rng.uniform(0, 2, size=(60, size.size)) * size).astype(np.float32)
    batch = ExperienceBatch(
        grid=np.zeros((60, spec.grid_channels, spec.rows, spec.cols), np.uint8),
        other=np.zeros((60, spec.other_dim), np.float32),
        policy_target=np.zeros((60, 0), np.float32),
        value_target=(inputs[:, 1] * 4.0 + 20.0).astype(np.float32),
        board_inputs=inputs,
        position=np.arange(60) // 3,
    )
    replayed.observe(batch)  # a fit of replayed batches takes nothing on arrival
    assert replayed.board_value_fit is not None
    assert replayed.board_value_fit.weight == 0.0
    before = trainer.network.model.board_value.coefficients()
    trainer.observe(batch)
    assert trainer.board_value_fit is not None
    assert trainer.board_value_fit.weight == 60.0
    np.testing.assert_array_equal(trainer.network.model.board_value.coefficients(), before)
    buffer = ExperienceBuffer(capacity=100)
    buffer.add(batch)
    trainer.train_step(buffer.sample(8))
    after = trainer.network.model.board_value.coefficients()
    assert not np.array_equal(after, before)


def test_the_optimiser_fit_keeps_no_sums() -> None:
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig(), seed=3)
    trainer = Trainer(network=network, config=TrainConfig(board_value_fit="optimiser"))
    assert trainer.board_value_fit is None
    assert trainer.state_dict()["board_value_fit"] is None


def test_the_prior_boards_hold_an_input_seen_on_few_boards_near_its_start() -> None:
    """One board in a thousand shows the rare input, with a target that would give it a
    weight of 500: the proportional ridge alone lets it take that weight, the prior's own
    weight keeps it near its start, and both agree on the inputs every board shows."""
    rng = np.random.default_rng(2)
    inputs = np.c_[np.ones(1_000), rng.normal(size=1_000), np.zeros(1_000)]
    inputs[0, 2] = 0.1
    targets = inputs[:, 0] * 40.0 + inputs[:, 1] * 2.0 + inputs[:, 2] * 500.0
    solved = {}
    for prior_boards in (0.0, 10.0):
        fit = LeastSquaresFit(np.zeros(3), memory_steps=10, ridge=1e-3, prior_boards=prior_boards)
        fit.add(inputs, targets, np.ones(1_000))
        solved[prior_boards] = fit.solve()
    assert solved[0.0][2] > 250.0
    assert abs(solved[10.0][2]) < 50.0
    np.testing.assert_allclose(solved[10.0][:2], [40.0, 2.0], atol=0.5)
