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


def test_a_time_budget_anneals_the_learning_rate_over_its_elapsed_fraction(
    tiny_model: ModelConfig,
) -> None:
    # A step limit far away: only the budget's progress decides the cosine.
    config = TrainConfig(
        learning_rate=1e-3, lr_warmup_steps=2, max_training_steps=1_000_000, lr_min_factor=0.1
    )
    assert learning_rate_factor(0, config, progress=0.5) == pytest.approx(0.5)  # warming up
    assert learning_rate_factor(50, config, progress=0.0) == pytest.approx(1.0)
    assert learning_rate_factor(50, config, progress=0.5) == pytest.approx(0.55)
    assert learning_rate_factor(50, config, progress=1.0) == pytest.approx(0.1)
    assert learning_rate_factor(50, config, progress=3.0) == pytest.approx(0.1)
    network = NeuralNetwork(model_config=tiny_model, env_config=EnvConfig(), device="cpu", seed=0)
    trainer = Trainer(network=network, config=config)
    batch = fixed_batch(network, 8)
    for _ in range(3):  # past the warm-up
        trainer.train_step(batch)
    trainer.schedule_progress = 1.0
    trainer.train_step(batch)
    # The step after the budget is spent runs at the floor of the schedule.
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)


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


def test_positions_without_a_policy_leave_the_policy_head_untouched(
    tiny_model: ModelConfig,
) -> None:
    """Afterstates carry no policy rows: they train the value, and neither the policy loss
    nor an entropy bonus moves the policy head."""
    network = NeuralNetwork(model_config=tiny_model, env_config=EnvConfig(), device="cpu", seed=0)
    config = TrainConfig(
        learning_rate=3e-3,
        lr_warmup_steps=0,
        max_training_steps=None,
        batch_size=32,
        entropy_bonus_weight=0.5,
        weight_decay=0.0,  # decay alone would move every weight
    )
    trainer = Trainer(network=network, config=config)
    full = fixed_batch(network)
    no_policy = SampledBatch(
        full.indices,
        full.weights,
        ExperienceBatch(
            grid=full.experiences.grid,
            other=full.experiences.other,
            policy_target=np.zeros((32, 0), np.float32),
            value_target=full.experiences.value_target,
        ),
    )
    head = {k: v.detach().clone() for k, v in network.model.policy_head.named_parameters()}
    value = {k: v.detach().clone() for k, v in network.model.value_head.named_parameters()}
    result = trainer.train_step(no_policy)
    assert result.policy_loss == 0.0
    for name, tensor in network.model.policy_head.named_parameters():
        assert torch.equal(tensor, head[name]), name
    assert any(
        not torch.equal(tensor, value[name])
        for name, tensor in network.model.value_head.named_parameters()
    )
