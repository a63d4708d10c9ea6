"""Features, the value representation, the evaluator and checkpoints, on two board sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from alphatriangle.config import EnvConfig, ModelConfig, action_dim
from alphatriangle.nn import (
    SHAPE_SUMMARY_SIZE,
    BoardMismatchError,
    CheckpointMismatchError,
    FeatureExtractor,
    NeuralNetwork,
    Positions,
    ValueSupport,
    check_same_board,
    resolve_device,
    shape_summary,
    squash,
    unsquash,
)

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    NUM_SHAPE_SLOTS=2,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
)
TINY = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21)
BOARDS = pytest.mark.parametrize("env", [EnvConfig(), SMALL_BOARD], ids=["default", "6x9x2"])


def random_positions(env: EnvConfig, count: int, seed: int = 0) -> Positions:
    """Positions with random occupied playable cells, legal actions and slot shapes."""
    rng = np.random.default_rng(seed)
    playable = np.zeros((env.ROWS, env.COLS), bool)
    for row, (start, end) in enumerate(env.PLAYABLE_RANGE_PER_ROW):
        playable[row, start:end] = True
    occupied = (rng.random((count, env.ROWS, env.COLS)) < 0.4) & playable
    legal = rng.random((count, action_dim(env))) < 0.1
    legal[:, 0] = True  # every position has a move
    shapes = [[(0, 0, True)], [(0, 0, True), (1, 0, False)], [(0, 0, False), (0, 1, True)]]
    summaries = np.zeros((count, env.NUM_SHAPE_SLOTS, SHAPE_SUMMARY_SIZE), np.float32)
    for slot in range(env.NUM_SHAPE_SLOTS - 1):  # the last slot is empty
        summaries[:, slot] = shape_summary(shapes[slot % len(shapes)])
    return Positions(occupied=occupied, legal=legal, shape_summaries=summaries)


@BOARDS
def test_features_follow_the_board(env: EnvConfig) -> None:
    extractor = FeatureExtractor(env)
    positions = random_positions(env, 5)
    batch = extractor.extract(positions)
    slots = env.NUM_SHAPE_SLOTS
    assert batch.grid.shape == (5, 3 + slots, env.ROWS, env.COLS)
    assert batch.other.shape == (5, extractor.spec.other_dim)
    rows, cols = np.indices((env.ROWS, env.COLS))
    np.testing.assert_array_equal(batch.grid[:, 0], positions.occupied)
    playable = batch.grid[0, 1] > 0.5
    assert playable.sum() == sum(end - start for start, end in env.PLAYABLE_RANGE_PER_ROW)
    np.testing.assert_array_equal(
        batch.grid[:, 2], np.broadcast_to((rows + cols) % 2 != 0, (5, env.ROWS, env.COLS))
    )
    np.testing.assert_array_equal(batch.legal_mask(slots), positions.legal)
    per_slot = SHAPE_SUMMARY_SIZE + 1
    for slot in range(slots):
        block = batch.other[:, slot * per_slot : (slot + 1) * per_slot]
        np.testing.assert_array_equal(
            block[:, :SHAPE_SUMMARY_SIZE], positions.shape_summaries[:, slot]
        )
        legal_in_slot = positions.legal.reshape(5, slots, -1)[:, slot].sum(axis=1)
        np.testing.assert_allclose(block[:, -1], legal_in_slot / (env.ROWS * env.COLS))
    np.testing.assert_allclose(
        batch.other[:, -2], positions.occupied.sum(axis=(1, 2)) / playable.sum(), rtol=1e-6
    )
    np.testing.assert_allclose(
        batch.other[:, -1], positions.legal.sum(axis=1) / action_dim(env), rtol=1e-6
    )


def test_positions_of_another_board_are_refused_naming_the_field() -> None:
    positions = random_positions(SMALL_BOARD, 2)
    with pytest.raises(ValueError, match=r"Positions.occupied has shape \(2, 6, 9\)"):
        FeatureExtractor(EnvConfig()).extract(positions)


@BOARDS
def test_evaluate_batch_masks_the_policy(env: EnvConfig) -> None:
    network = NeuralNetwork(model_config=TINY, env_config=env, device="cpu", seed=0)
    positions = random_positions(env, 6)
    evaluation = network.evaluate_batch(positions)
    assert evaluation.policy.shape == (6, action_dim(env))
    assert evaluation.value.shape == (6,)
    assert np.all(np.isfinite(evaluation.value))
    np.testing.assert_allclose(evaluation.policy.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(evaluation.policy[~evaluation.legal_mask] == 0.0)
    assert np.all(evaluation.policy[evaluation.legal_mask] > 0.0)


def test_untrained_value_starts_near_zero() -> None:
    network = NeuralNetwork(
        model_config=ModelConfig(), env_config=EnvConfig(), device="cpu", seed=1
    )
    values = network.evaluate_batch(random_positions(EnvConfig(), 4)).value
    assert np.all(np.abs(values) < 0.5)


def test_value_support_does_not_saturate() -> None:
    support = ValueSupport(ModelConfig(value_min=-10.0, value_max=1000.0, value_atoms=51))
    raw = torch.tensor([0.0, 0.7, 12.0, 150.0, 640.0, 999.0, -4.0])
    torch.testing.assert_close(unsquash(squash(raw)), raw, rtol=1e-4, atol=1e-3)
    targets = support.two_hot(raw)
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(7))
    # The expectation of a two-hot target in h-space is the squashed value itself.
    torch.testing.assert_close(
        (targets * support.atoms()).sum(dim=1), squash(raw), rtol=1e-4, atol=1e-4
    )
    # Logits that put all mass on a target decode to it, far beyond where tanh saturates.
    decoded = support.expected_value(torch.log(targets.clamp_min(1e-12)))
    torch.testing.assert_close(decoded, raw, rtol=1e-3, atol=1e-2)
    clipped = support.two_hot(torch.tensor([5000.0]))
    assert clipped[0, -1] == pytest.approx(1.0)


def test_weights_move_between_networks(tmp_path: Path) -> None:
    a = NeuralNetwork(model_config=TINY, env_config=EnvConfig(), device="cpu", seed=0)
    b = NeuralNetwork(model_config=TINY, env_config=EnvConfig(), device="cpu", seed=1)
    with torch.no_grad():
        for parameter in a.model.parameters():
            parameter.add_(0.05)
    positions = random_positions(EnvConfig(), 3)
    assert not np.allclose(a.evaluate_batch(positions).policy, b.evaluate_batch(positions).policy)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(
        a.evaluate_batch(positions).policy, b.evaluate_batch(positions).policy, atol=1e-6
    )
    path = a.save(tmp_path / "checkpoints" / "model.pt")
    c = NeuralNetwork(model_config=TINY, env_config=EnvConfig(), device="cpu", seed=2)
    c.load(path)
    np.testing.assert_allclose(
        a.evaluate_batch(positions).value, c.evaluate_batch(positions).value, atol=1e-6
    )
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]
    rebuilt = NeuralNetwork.from_checkpoint(path, device="cpu")
    assert rebuilt.model_config == TINY
    np.testing.assert_allclose(
        a.evaluate_batch(positions).policy, rebuilt.evaluate_batch(positions).policy, atol=1e-6
    )


def test_a_checkpoint_for_another_board_is_refused_with_both_shapes(tmp_path: Path) -> None:
    small = NeuralNetwork(model_config=TINY, env_config=SMALL_BOARD, device="cpu", seed=0)
    path = small.save(tmp_path / "small.pt")
    default = NeuralNetwork(model_config=TINY, env_config=EnvConfig(), device="cpu", seed=0)
    with pytest.raises(
        BoardMismatchError, match=r"board of 6x9 with 2 shape slots.*board of 8x15 with 3"
    ):
        default.load(path)
    weights_only = tmp_path / "weights_only.pt"
    torch.save({"model_state": small.get_weights()}, weights_only)
    with pytest.raises(
        CheckpointMismatchError, match=r"has shape \(.*\), the network expects \(.*\)"
    ):
        default.load(weights_only)
    wider = NeuralNetwork(
        model_config=TINY.with_updates(trunk_channels=16), env_config=SMALL_BOARD, device="cpu"
    )
    with pytest.raises(CheckpointMismatchError, match="16 trunk channels"):
        wider.load(path)
    with pytest.raises(FileNotFoundError, match=r"missing\.pt"):
        default.load(tmp_path / "missing.pt")
    (tmp_path / "garbage.pt").write_bytes(b"\x00not a checkpoint")
    with pytest.raises(CheckpointMismatchError, match=r"garbage\.pt"):
        default.load(tmp_path / "garbage.pt")


def test_the_one_board_check_names_both_boards_and_what_they_belong_to() -> None:
    check_same_board(SMALL_BOARD, SMALL_BOARD.model_copy(), recorded_by="a", expected_by="b")
    with pytest.raises(BoardMismatchError) as caught:
        check_same_board(
            SMALL_BOARD, EnvConfig(), recorded_by="checkpoint x.pt", expected_by="the game is on"
        )
    assert str(caught.value) == (
        "checkpoint x.pt is for a board of 6x9 with 2 shape slots, "
        "but the game is on a board of 8x15 with 3 shape slots"
    )
    assert isinstance(caught.value, CheckpointMismatchError)  # what loaders already catch
    # Same size, other playable cells: the network's masks differ, so it is another board.
    narrower = SMALL_BOARD.model_copy(
        update={"PLAYABLE_RANGE_PER_ROW": [(2, 7), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)]}
    )
    with pytest.raises(BoardMismatchError):
        check_same_board(narrower, SMALL_BOARD, recorded_by="a", expected_by="b")


def test_transformer_variant_and_gpu_preset_build() -> None:
    config = TINY.with_updates(num_transformer_layers=1, transformer_heads=2)
    network = NeuralNetwork(model_config=config, env_config=SMALL_BOARD, device="cpu", seed=0)
    evaluation = network.evaluate_batch(random_positions(SMALL_BOARD, 2))
    np.testing.assert_allclose(evaluation.policy.sum(axis=1), 1.0, atol=1e-5)
    preset = ModelConfig.gpu_preset()
    assert preset.trunk_channels > ModelConfig().trunk_channels
    assert preset.num_transformer_layers > 0


def test_device_choice_falls_back_to_the_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("cuda").type == expected
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="'tpu'"):
        resolve_device("tpu")
