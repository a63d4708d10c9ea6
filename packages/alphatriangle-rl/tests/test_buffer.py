"""Replay buffer: ring order, prioritised sampling, exact save and restore."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from alphatriangle.nn import BOARD_VALUE_INPUTS
from alphatriangle.rl import (
    BufferStateError,
    ExperienceBatch,
    ExperienceBuffer,
    stored_bytes_per_position,
)


def id_planes(ids: np.ndarray) -> np.ndarray:
    """[N, 2, 3, 4] 0/1 planes holding each position's id in binary, as features would."""
    bits = (ids.astype(np.int64)[:, None] >> np.arange(24)) & 1
    return bits.reshape(len(ids), 2, 3, 4).astype(np.float32)


def positions(start: int, count: int, actions: int = 6) -> ExperienceBatch:
    ids = np.arange(start, start + count, dtype=np.float32)
    return ExperienceBatch(
        grid=id_planes(ids),
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
    # Over a time budget, beta follows its elapsed fraction instead of the steps.
    assert buffer.beta(1000, progress=0.0) == pytest.approx(0.4)
    assert buffer.beta(0, progress=0.5) == pytest.approx(0.7)
    assert buffer.beta(0, progress=2.0) == pytest.approx(1.0)


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


def test_storage_is_compact_and_samples_come_back_as_added() -> None:
    buffer = ExperienceBuffer(capacity=50, seed=5)
    added = positions(0, 50)
    policy = np.random.default_rng(0).dirichlet(np.ones(6), 50).astype(np.float32)
    buffer.add(ExperienceBatch(added.grid, added.other, policy, added.value_target))
    state = buffer.state_dict()
    assert state["grid"].dtype == np.uint8
    assert state["policy_target"].dtype == np.float16
    per_position = stored_bytes_per_position((2, 3, 4), 5, 6)
    assert per_position == 24 + 5 * 4 + 6 * 2 + 4
    fields = ("grid", "other", "policy_target", "value_target")
    assert sum(state[name].nbytes for name in fields) == 50 * per_position

    batch = buffer.sample(200)
    ids = batch.experiences.value_target.astype(np.int64)
    for name in ("grid", "other", "policy_target", "value_target"):
        assert getattr(batch.experiences, name).dtype == np.float32, name
    np.testing.assert_array_equal(batch.experiences.grid, id_planes(ids))
    np.testing.assert_allclose(batch.experiences.policy_target, policy[ids], rtol=1e-3, atol=1e-6)


def test_planes_that_are_not_zero_or_one_are_refused() -> None:
    buffer = ExperienceBuffer(capacity=8, seed=0)
    bad = positions(0, 3)
    with pytest.raises(ValueError, match="grid must hold 0/1 feature planes"):
        buffer.add(ExperienceBatch(bad.grid * 0.5, bad.other, bad.policy_target, bad.value_target))
    assert len(buffer) == 0


def test_a_float32_buffer_file_of_an_older_version_still_loads(tmp_path: Path) -> None:
    """Buffer files written before the compact storage held float32 planes and policies."""
    buffer = ExperienceBuffer(capacity=16, seed=6)
    buffer.add(positions(0, 10))
    state = buffer.state_dict()
    arrays = {name: state[name].astype(np.float32) for name in ("grid", "policy_target")}
    arrays.update({name: state[name] for name in ("other", "value_target")})
    scalars = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
    arrays["meta_json"] = np.frombuffer(json.dumps(scalars).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)

    restored = ExperienceBuffer(capacity=16, seed=0)
    restored.load(tmp_path / "old.npz")
    for name in ("grid", "other", "policy_target", "value_target"):
        np.testing.assert_array_equal(restored.state_dict()[name], state[name])


def afterstates(start: int, count: int) -> ExperienceBatch:
    """Positions without a policy, as the turn search makes them: policy width 0."""
    batch = positions(start, count)
    return ExperienceBatch(
        grid=batch.grid,
        other=batch.other,
        policy_target=np.zeros((count, 0), np.float32),
        value_target=batch.value_target,
    )


def test_positions_without_a_policy_store_none_and_save_and_load(tmp_path: Path) -> None:
    buffer = ExperienceBuffer(capacity=16, seed=2)
    buffer.add(afterstates(0, 10))
    assert buffer.sample(4, global_step=0).experiences.policy_target.shape == (4, 0)
    restored = ExperienceBuffer(capacity=16, seed=2)
    restored.load(buffer.save(tmp_path / "afterstates.npz"))
    assert restored.state_dict()["policy_target"].shape == (10, 0)
    restored.add(afterstates(10, 3))
    assert len(restored) == 13


def test_a_turn_runs_older_buffer_of_all_zero_policy_rows_takes_new_afterstates(
    tmp_path: Path,
) -> None:
    """Before afterstates carried no policy rows they carried rows of zeros: such a buffer
    loads without them, and the run's new games fit beside its old positions."""
    old = ExperienceBuffer(capacity=16, seed=3)
    zero_rows = positions(0, 8)
    old.add(
        ExperienceBatch(
            grid=zero_rows.grid,
            other=zero_rows.other,
            policy_target=np.zeros((8, 6), np.float32),
            value_target=zero_rows.value_target,
        )
    )
    restored = ExperienceBuffer(capacity=16, seed=3)
    restored.load(old.save(tmp_path / "old_turn.npz"))
    assert restored.state_dict()["policy_target"].shape == (8, 0)
    np.testing.assert_array_equal(
        restored.state_dict()["value_target"], old.state_dict()["value_target"]
    )
    restored.add(afterstates(8, 4))
    assert len(restored) == 12
    # A tree search's buffer keeps its policy rows.
    tree = ExperienceBuffer(capacity=16, seed=3)
    tree.add(positions(0, 4))
    kept = ExperienceBuffer(capacity=16, seed=3)
    kept.load(tree.save(tmp_path / "tree.npz"))
    assert kept.state_dict()["policy_target"].shape == (4, 6)


def valued_afterstates(start: int, count: int, inputs: int) -> ExperienceBatch:
    """Afterstates carrying `inputs` board value inputs each."""
    batch = afterstates(start, count)
    return ExperienceBatch(
        grid=batch.grid,
        other=batch.other,
        policy_target=batch.policy_target,
        value_target=batch.value_target,
        board_inputs=np.ones((count, inputs), np.float32),
    )


def test_a_buffer_saved_with_fewer_board_value_inputs_is_refilled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Positions saved before the board value read its later inputs are dropped with a
    warning (training on inputs the value never sees in play would mislead it); the rest
    of the state is kept and today's positions fit."""
    today = len(BOARD_VALUE_INPUTS)
    old = ExperienceBuffer(capacity=16, seed=4)
    old.add(valued_afterstates(0, 10, today - 5))
    restored = ExperienceBuffer(capacity=16, seed=4, board_input_count=today)
    with caplog.at_level("WARNING"):
        restored.load(old.save(tmp_path / "older_inputs.npz"))
    assert f"hold {today - 5} board value inputs" in caplog.text
    assert len(restored) == 0
    assert restored.total_added == 10
    restored.add(valued_afterstates(10, 3, today))
    assert len(restored) == 3
    same = ExperienceBuffer(capacity=16, seed=4, board_input_count=today)
    same.load(restored.save(tmp_path / "today.npz"))  # today's width restores as it was
    assert len(same) == 3
    untied = ExperienceBuffer(capacity=16, seed=4)  # tied to no network: keeps any width
    untied.load(old.save(tmp_path / "older_again.npz"))
    assert len(untied) == 10
    summary_only = ExperienceBuffer(capacity=16, seed=4, board_input_count=today - 5)
    summary_only.load(tmp_path / "today.npz")  # a value over fewer patterns: refilled too
    assert len(summary_only) == 0


def test_searched_positions_stay_together_when_batches_are_joined_or_cut() -> None:
    first = dataclasses.replace(positions(0, 4), position=np.array([0, 0, 1, 1]))
    second = dataclasses.replace(positions(4, 3), position=np.array([0, 0, 0]))
    joined = ExperienceBatch.concatenate([first, second, positions(7, 2)])
    np.testing.assert_array_equal(joined.position, [0, 0, 1, 1, 2, 2, 2, 3, 4])
    cut = joined.take(np.array([3, 5, 6, 8]))
    np.testing.assert_array_equal(cut.position, [0, 1, 1, 2])
    np.testing.assert_array_equal(positions(0, 3).position, [0, 1, 2])  # each its own
