"""The trainer lowers the loss, schedules the learning rate and reports per-sample errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from trianglengin import GameState

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import ExperienceBatch, SampledBatch, Trainer, learning_rate_factor
from alphatriangle.rl.game import GameTables, engine_positions


def fixed_batch(network: NeuralNetwork, size: int = 32) -> SampledBatch:
    rng = np.random.default_rng(0)
    states = []
    for seed in range(size):
        state = GameState(EnvConfig(), initial_seed=seed)
        for _ in range(int(rng.integers(0, 6))):
            if state.is_over():
                break
            state.step(int(rng.choice(sorted(state.valid_actions()))))
        if state.is_over():
            state = GameState(EnvConfig(), initial_seed=1000 + seed)
        states.append(state)
    features = network.features.extract(engine_positions(GameTables.for_env(EnvConfig()), states))
    legal = features.legal_mask(EnvConfig().NUM_SHAPE_SLOTS)
    policy = np.zeros(legal.shape, np.float32)
    for i, row in enumerate(legal):
        choices = rng.choice(np.flatnonzero(row), size=2, replace=False)
        policy[i, choices] = [0.75, 0.25]
    experiences = ExperienceBatch(
        grid=features.grid,
        other=features.other,
        policy_target=policy,
        value_target=rng.uniform(0.0, 40.0, size).astype(np.float32),
    )
    return SampledBatch(np.arange(size), np.ones(size, np.float32), experiences)


def test_training_lowers_the_loss_on_a_fixed_batch(tiny_model: ModelConfig) -> None:
    network = NeuralNetwork(model_config=tiny_model, env_config=EnvConfig(), device="cpu", seed=0)
    config = TrainConfig(
        learning_rate=3e-3, lr_warmup_steps=0, max_training_steps=None, batch_size=32
    )
    trainer = Trainer(network=network, config=config)
    batch = fixed_batch(network)
    first = trainer.train_step(batch)
    for _ in range(80):
        last = trainer.train_step(batch)
    assert last.total_loss < 0.6 * first.total_loss
    assert last.policy_loss < first.policy_loss
    assert last.value_loss < first.value_loss
    assert trainer.global_step == 81
    assert first.value_errors.shape == (32,)
    assert np.all(np.isfinite(first.value_errors))
    assert last.value_errors.mean() < first.value_errors.mean()


def test_learning_rate_warms_up_then_decays_to_its_floor() -> None:
    config = TrainConfig(
        learning_rate=1e-3, lr_warmup_steps=10, max_training_steps=110, lr_min_factor=0.1
    )
    factors = [learning_rate_factor(step, config) for step in range(0, 111)]
    assert factors[0] == pytest.approx(0.1)
    assert factors[9] == pytest.approx(1.0)
    assert factors[10] == pytest.approx(1.0)
    assert factors[60] == pytest.approx(0.55)
    assert factors[110] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(factors[10:]))


def test_trainer_state_round_trips(tiny_model: ModelConfig) -> None:
    network = NeuralNetwork(model_config=tiny_model, env_config=EnvConfig(), device="cpu", seed=0)
    config = TrainConfig(max_training_steps=100, batch_size=8)
    trainer = Trainer(network=network, config=config)
    batch = fixed_batch(network, 8)
    for _ in range(3):
        trainer.train_step(batch)
    fresh = Trainer(network=network, config=config)
    fresh.load_state_dict(trainer.state_dict())
    assert fresh.global_step == 3
    assert fresh.optimizer.param_groups[0]["lr"] == trainer.optimizer.param_groups[0]["lr"]


def test_a_non_finite_loss_skips_the_update_and_touches_nothing(tiny_model: ModelConfig) -> None:
    network = NeuralNetwork(model_config=tiny_model, env_config=EnvConfig(), device="cpu", seed=0)
    trainer = Trainer(network=network, config=TrainConfig(lr_warmup_steps=0, batch_size=32))
    good = fixed_batch(network)
    trainer.train_step(good)
    before = network.get_weights()
    optimizer_before = trainer.optimizer.state_dict()["state"][0]["step"].item()
    poisoned = fixed_batch(network)
    poisoned.experiences.value_target[3] = np.nan

    result = trainer.train_step(poisoned)

    assert result.skipped
    assert trainer.global_step == 1
    assert trainer.scheduler.last_epoch == 1
    assert trainer.optimizer.state_dict()["state"][0]["step"].item() == optimizer_before
    after = network.get_weights()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert not network.model.training
    assert not trainer.train_step(good).skipped
    assert trainer.global_step == 2
