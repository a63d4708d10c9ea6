"""CheckpointStore and restore_run on real files: layout, pruning, fallback, full disk, shapes.

No Ray here: these are the file-level guarantees the fault tests of whole runs rely on.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from alphatriangle.config import (
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
    search_config,
)
from alphatriangle.nn import NeuralNetwork, read_checkpoint
from alphatriangle.rl import ExperienceBatch, ExperienceBuffer, Trainer
from alphatriangle.training.store.checkpoints import (
    CheckpointSaveError,
    CheckpointStore,
    ResumeError,
)
from alphatriangle.training.store.resume import RunCounters, restore_run, training_extras

TINY_MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)
BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)


class Run:
    """A network, trainer and buffer as the loop holds them, and a store under tmp_path."""

    def __init__(self, root: Path, env_config: EnvConfig = BOARD, seed: int = 0) -> None:
        config = TrainConfig(
            batch_size=8, buffer_capacity=64, min_buffer_size_to_train=8, lr_warmup_steps=2
        )
        self.network = NeuralNetwork(
            model_config=TINY_MODEL, env_config=env_config, device="cpu", seed=seed
        )
        self.trainer = Trainer(network=self.network, config=config)
        self.buffer = ExperienceBuffer.from_config(config, seed=seed)
        self.store = CheckpointStore(RunContext(run_name="run", data_root=root), keep=2)
        self.counters = RunCounters()

    def play_and_train(self, steps: int) -> None:
        spec = self.network.features.spec
        rng = np.random.default_rng(self.counters.global_step)
        count = 12
        policy = rng.random((count, spec.action_dim)).astype(np.float32)
        batch = ExperienceBatch(
            grid=rng.integers(0, 2, (count, spec.grid_channels, spec.rows, spec.cols)).astype(
                np.uint8
            ),
            other=rng.random((count, spec.other_dim)).astype(np.float32),
            policy_target=policy / policy.sum(axis=1, keepdims=True),
            value_target=rng.uniform(0, 5, count).astype(np.float32),
            board_inputs=rng.random((count, self.network.board_value_input_count)).astype(
                np.float32
            ),
            position=np.arange(count) // 3,  # three boards searched together
        )
        self.buffer.add(batch)
        self.trainer.observe(batch)  # as the loop does with what arrives
        for _ in range(steps):
            batch = self.buffer.sample(8, global_step=self.counters.global_step)
            outcome = self.trainer.train_step(batch)
            self.buffer.update_priorities(batch.indices, outcome.value_errors)
            self.counters.global_step = self.trainer.global_step
            self.counters.episodes_played += 1

    def save(self) -> None:
        step = self.counters.global_step
        self.store.save_buffer(self.buffer, step)
        extras = training_extras(
            counters=self.counters,
            trainer=self.trainer,
            buffer=self.buffer,
            run_name="unit",
            mlflow_run_id="abc",
            buffer_step=step,
            mcts_config=search_config(),
        )
        self.store.save_checkpoint(self.network, step, extras)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_saves_step_files_keeps_the_newest_and_resumes_exactly(tmp_path: Path) -> None:
    run = Run(tmp_path)
    for _ in range(3):
        run.play_and_train(3)
        run.save()
    assert [p.name for _, p in run.store.step_checkpoints()] == [
        "step_00000009.pt",
        "step_00000006.pt",
    ]
    assert [p.name for _, p in run.store.step_buffers()] == [
        "buffer_step_00000009.npz",
        "buffer_step_00000006.npz",
    ]
    assert read_checkpoint(run.store.latest_path)["global_step"] == 9
    assert run.store.mark_best(6) == run.store.best_path
    assert read_checkpoint(run.store.best_path)["global_step"] == 6
    expected_sample = run.buffer.sample(8, global_step=9).indices
    expected_draw = torch.rand(3)

    fresh = Run(tmp_path, seed=123)
    fresh.buffer.rng = np.random.default_rng(999)
    resumed = restore_run(
        fresh.store,
        network=fresh.network,
        trainer=fresh.trainer,
        buffer=fresh.buffer,
        run_name="unit",
    )
    assert resumed.counters == run.counters
    assert resumed.mlflow_run_id == "abc"
    for name, tensor in run.network.get_weights().items():
        assert torch.equal(tensor, fresh.network.get_weights()[name])
    assert fresh.trainer.scheduler.last_epoch == 9
    assert fresh.trainer.optimizer.state_dict()["state"][0]["step"].item() == 9
    saved_fit, resumed_fit = run.trainer.board_value_fit, fresh.trainer.board_value_fit
    assert saved_fit is not None
    assert resumed_fit is not None
    assert resumed_fit.weight > 0
    assert np.array_equal(resumed_fit.solve(), saved_fit.solve())
    assert len(fresh.buffer) == len(run.buffer)
    assert np.array_equal(fresh.buffer.sample(8, global_step=9).indices, expected_sample)
    assert torch.equal(torch.rand(3), expected_draw)


def test_unreadable_newest_files_fall_back_naming_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = Run(tmp_path)
    run.play_and_train(2)
    run.save()
    run.play_and_train(2)
    run.save()
    truncate(run.store.latest_path)
    truncate(run.store.checkpoint_path(4))
    truncate(run.store.buffer_path(4))
    fresh = Run(tmp_path, seed=5)
    with caplog.at_level(logging.WARNING):
        resumed = restore_run(
            fresh.store,
            network=fresh.network,
            trainer=fresh.trainer,
            buffer=fresh.buffer,
            run_name="unit",
        )
    assert resumed.counters.global_step == 2
    assert resumed.checkpoint == run.store.checkpoint_path(2)
    assert resumed.buffer == run.store.buffer_path(2)
    assert len(fresh.buffer) == 12
    for name in ("latest.pt", "step_00000004.pt", "buffer_step_00000004.npz"):
        assert f"Skipping checkpoint {tmp_path}" in caplog.text or "Skipping buffer" in caplog.text
        assert name in caplog.text
    assert "Falling back to checkpoint" in caplog.text


def test_nothing_readable_refuses_to_resume_and_changes_nothing(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.play_and_train(2)
    run.save()
    for path in (run.store.latest_path, run.store.checkpoint_path(2)):
        truncate(path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    fresh = Run(tmp_path)
    with pytest.raises(ResumeError, match=r"no readable checkpoint.*latest.pt.*step_00000002.pt"):
        restore_run(
            fresh.store,
            network=fresh.network,
            trainer=fresh.trainer,
            buffer=fresh.buffer,
            run_name="unit",
        )
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_checkpoint_for_another_board_names_both_boards(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.play_and_train(1)
    run.save()
    other = Run(tmp_path, env_config=EnvConfig())
    with pytest.raises(ResumeError, match=r"6x9 with 2 shape slots.*8x15 with 3 shape slots"):
        restore_run(
            other.store,
            network=other.network,
            trainer=other.trainer,
            buffer=other.buffer,
            run_name="unit",
        )


def test_a_full_disk_keeps_the_previous_checkpoint_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run(tmp_path)
    run.play_and_train(2)
    run.save()
    good = run.store.latest_path.read_bytes()
    real_save = torch.save

    def disk_fills_up(obj: Any, handle: Any, *args: Any, **kwargs: Any) -> None:
        handle.write(b"\0" * 1024)  # part of the file made it to disk, then no space
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_fills_up)
    run.play_and_train(2)
    with pytest.raises(CheckpointSaveError, match=r"disk is full.*previous checkpoint.*intact"):
        run.store.save_checkpoint(run.network, 4, {})
    monkeypatch.setattr(torch, "save", real_save)
    assert run.store.latest_path.read_bytes() == good
    assert not run.store.checkpoint_path(4).exists()
    assert [p.name for p in run.store.checkpoints_dir.iterdir()] != []
    assert not [p for p in run.store.checkpoints_dir.iterdir() if p.name.startswith(".")]
    assert read_checkpoint(run.store.latest_path)["global_step"] == 2
