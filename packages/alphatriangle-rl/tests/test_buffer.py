"""Replay buffer: ring order, prioritised sampling, exact save and restore."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alphatriangle.rl import BufferStateError, ExperienceBatch, ExperienceBuffer


def positions(start: int, count: int, actions: int = 6) -> ExperienceBatch:
    ids = np.arange(start, start + count, dtype=np.float32)
    return ExperienceBatch(
        grid=np.broadcast_to(ids[:, None, None, None], (count, 2, 3, 4)).copy(),
        other=np.broadcast_to(ids[:, None], (count, 5)).copy(),
        policy_target=np.full((count, actions), 1.0 / actions, np.float32),
        value_target=ids.copy(),
    )


def test_ring_overwrites_the_oldest_positions() -> None:
    buffer = ExperienceBuffer(capacity=10, seed=0)
    buffer.add(positions(0, 7))
    buffer.add(positions(7, 7))
    assert len(buffer) == 10
    assert buffer.total_added == 14
    kept = set(buffer.state_dict()["value_target"].tolist())
    assert kept == set(range(4, 14))


def test_prioritised_sampling_follows_the_priorities() -> None:
    buffer = ExperienceBuffer(capacity=8, use_per=True, per_alpha=1.0, per_epsilon=1e-9, seed=1)
    buffer.add(positions(0, 8))
    errors = np.array([9.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    buffer.update_priorities(np.arange(8), errors)
    counts = np.zeros(8)
    for _ in range(200):
        batch = buffer.sample(50, global_step=0)
        np.add.at(counts, batch.indices, 1)
    frequencies = counts / counts.sum()
    assert frequencies[0] == pytest.approx(0.9, abs=0.02)
    assert frequencies[1] == pytest.approx(0.1, abs=0.02)
    assert frequencies[2:].sum() < 0.001


def test_importance_weights_favour_rare_positions_and_beta_anneals() -> None:
    buffer = ExperienceBuffer(
        capacity=4,
        use_per=True,
        per_alpha=1.0,
        per_beta_initial=0.4,
        per_beta_final=1.0,
        per_beta_anneal_steps=100,
        seed=2,
    )
    buffer.add(positions(0, 4))
    buffer.update_priorities(np.arange(4), np.array([8.0, 1.0, 1.0, 1.0]))
    batch = buffer.sample(64, global_step=0)
    common = batch.weights[batch.indices == 0]
    rare = batch.weights[batch.indices != 0]
    assert common.size
    assert rare.size
    assert common.max() < rare.min()
    assert buffer.beta(0) == pytest.approx(0.4)
    assert buffer.beta(50) == pytest.approx(0.7)
    assert buffer.beta(1000) == pytest.approx(1.0)


def test_uniform_sampling_covers_the_buffer() -> None:
    buffer = ExperienceBuffer(capacity=5, seed=3)
    buffer.add(positions(0, 5))
    batch = buffer.sample(2000)
    assert np.all(batch.weights == 1.0)
    assert np.bincount(batch.indices, minlength=5).min() > 300


@pytest.mark.parametrize("use_per", [False, True])
def test_save_and_restore_is_exact(tmp_path: Path, use_per: bool) -> None:
    buffer = ExperienceBuffer(capacity=16, use_per=use_per, seed=4)
    buffer.add(positions(0, 12))
    buffer.add(positions(12, 9))
    first = buffer.sample(8, global_step=3)
    buffer.update_priorities(first.indices, np.linspace(0.1, 3.0, 8))
    path = buffer.save(tmp_path / "buffer.npz")

    restored = ExperienceBuffer(capacity=16, use_per=use_per, seed=999)
    restored.load(path)
    assert len(restored) == len(buffer)
    assert restored.total_added == buffer.total_added
    original_state, restored_state = buffer.state_dict(), restored.state_dict()
    for name in ("grid", "other", "policy_target", "value_target"):
        np.testing.assert_array_equal(original_state[name], restored_state[name])
    # Same random generator state and priorities: the next batches are identical.
    a, b = buffer.sample(16, global_step=10), restored.sample(16, global_step=10)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.weights, b.weights)
    # Writing continues at the same ring position.
    buffer.add(positions(100, 3))
    restored.add(positions(100, 3))
    np.testing.assert_array_equal(
        buffer.state_dict()["value_target"], restored.state_dict()["value_target"]
    )


def test_restoring_into_a_different_buffer_is_refused(tmp_path: Path) -> None:
    buffer = ExperienceBuffer(capacity=16, seed=0)
    buffer.add(positions(0, 4))
    path = buffer.save(tmp_path / "buffer.npz")
    with pytest.raises(BufferStateError, match="capacity 16"):
        ExperienceBuffer(capacity=32, seed=0).load(path)
    (tmp_path / "broken.npz").write_bytes(b"not a buffer")
    with pytest.raises(BufferStateError, match=r"broken\.npz"):
        ExperienceBuffer(capacity=16, seed=0).load(tmp_path / "broken.npz")
