"""Every config rejects bad values and unknown fields with a message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from alphatriangle.config import (
    AppPaths,
    EnvConfig,
    GumbelConfig,
    ModelConfig,
    PuctConfig,
    RunContext,
    TrainConfig,
    TurnSearchConfig,
    action_dim,
    decode_action,
    encode_action,
    search_config,
)


@pytest.mark.parametrize(
    ("model", "field", "value", "rule"),
    [
        (ModelConfig, "trunk_channels", 0, "greater than or equal to 4"),
        (ModelConfig, "value_atoms", 2, "greater than or equal to 3"),
        (ModelConfig, "activation", "tanh", "'relu', 'gelu' or 'silu'"),
        (TrainConfig, "batch_size", 0, "greater than or equal to 1"),
        (TrainConfig, "learning_rate", -1.0, "greater than 0"),
        (TrainConfig, "per_alpha", 1.5, "less than or equal to 1"),
        (TrainConfig, "device", "tpu", "'auto', 'cpu' or 'cuda'"),
        (GumbelConfig, "max_simulations", 0, "greater than or equal to 1"),
        (search_config, "algorithm", "alphabeta", "'turn', 'puct', 'gumbel'"),
        (PuctConfig, "discount", 1.5, "less than or equal to 1"),
        (PuctConfig, "dirichlet_epsilon", -0.1, "greater than or equal to 0"),
        (TurnSearchConfig, "turn_temperature", -1.0, "greater than or equal to 0"),
        (RunContext, "seed", -1, "greater than or equal to 0"),
        (RunContext, "run_name", "../escape", "not a safe directory name"),
        (RunContext, "ray_address", "headnode", "is not HOST:PORT"),
        (RunContext, "ray_address", "10.0.0.5:99999", "is not HOST:PORT"),
        (RunContext, "ray_address", "ray://10.0.0.5:10001", "is not HOST:PORT"),
        (RunContext, "ray_connect_timeout", 0, "greater than 0"),
    ],
)
def test_bad_values_name_the_field_and_rule(
    model: type[BaseModel], field: str, value: object, rule: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model(**{field: value})
    message = str(caught.value)
    assert field in message
    assert rule in message


@pytest.mark.parametrize("address", ["10.0.0.5:6379", "head-1.example.org:6390", "[::1]:6379"])
def test_a_cluster_address_is_host_and_port(address: str) -> None:
    assert RunContext(ray_address=f" {address} ").ray_address == address


@pytest.mark.parametrize("model", [ModelConfig, TrainConfig, search_config, RunContext])
def test_unknown_fields_are_rejected(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="learnin_rate"):
        model(learnin_rate=0.1)


def test_cross_field_rules_name_both_fields() -> None:
    with pytest.raises(
        ValidationError, match=r"min_buffer_size_to_train \(500\).*buffer_capacity \(100\)"
    ):
        TrainConfig(buffer_capacity=100, min_buffer_size_to_train=500, batch_size=10)
    with pytest.raises(ValidationError, match=r"transformer_heads \(5\).*trunk_channels \(24\)"):
        ModelConfig(num_transformer_layers=1, transformer_heads=5)


def test_with_updates_validates_the_copy() -> None:
    config = GumbelConfig()
    assert config.with_updates(max_simulations=8).max_simulations == 8
    with pytest.raises(ValidationError, match="max_simulation"):
        config.with_updates(max_simulation=8)
    with pytest.raises(ValidationError):
        config.max_simulations = 3  # type: ignore[misc]


def test_run_context_paths_are_absolute_under_the_start_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    context = RunContext(run_name="demo", seed=3)
    root = tmp_path.resolve() / ".alphatriangle_data" / "AlphaTriangle"
    assert context.app_dir == root
    assert context.run_dir == root / "runs" / "demo"
    for path in (
        context.checkpoints_dir,
        context.buffers_dir,
        context.logs_dir,
        context.tensorboard_dir,
        context.configs_path,
        context.mlflow_db_path,
    ):
        assert path.is_absolute()
        assert root in path.parents
    assert context.mlflow_tracking_uri == f"sqlite:///{root / 'mlflow.db'}"
    assert context.mlflow_tracking_uri.startswith("sqlite:////")
    # The layout the READMEs document, every file of a run named by the context.
    run = root / "runs" / "demo"
    assert context.latest_checkpoint_path == run / "checkpoints" / "latest.pt"
    assert context.best_checkpoint_path == run / "checkpoints" / "best.pt"
    assert context.run_state_path == run / "run_state.json"
    assert context.driver_log_path == run / "logs" / "demo_driver.log"
    assert context.buffers_dir == run / "buffers"
    # The paths shared by the app's runs are the same without a run.
    app = AppPaths(Path(".alphatriangle_data"))
    assert app == context.app
    assert app.runs_dir == context.runs_dir
    assert app.evaluations_dir == root / "eval"
    assert app.mlflow_tracking_uri == context.mlflow_tracking_uri
    relative = RunContext(run_name="demo", data_root=Path("elsewhere"))
    assert relative.data_root == tmp_path.resolve() / "elsewhere"
    # Nothing is created on disk by describing a run.
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_default_run_names_are_safe() -> None:
    name = RunContext().run_name
    assert name.startswith("run_")
    RunContext(run_name=name)


def test_action_encoding_matches_the_engine_on_any_board() -> None:
    board = EnvConfig(
        ROWS=6,
        COLS=9,
        NUM_SHAPE_SLOTS=2,
        PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    )
    assert action_dim(board) == 2 * 6 * 9
    assert (
        action_dim(EnvConfig()) == EnvConfig().NUM_SHAPE_SLOTS * EnvConfig().ROWS * EnvConfig().COLS
    )
    for action in range(action_dim(board)):
        assert encode_action(board, *decode_action(board, action)) == action
    assert decode_action(board, 1 * 54 + 2 * 9 + 5) == (1, 2, 5)


def test_a_time_budget_alone_lifts_the_step_limit_and_with_one_keeps_it() -> None:
    default = TrainConfig()
    assert (default.max_minutes, default.max_training_steps) == (60, None)  # an hour
    assert TrainConfig(max_minutes=60).max_training_steps is None
    steps_alone = TrainConfig(max_training_steps=20_000)  # the steps, not the default hour
    assert (steps_alone.max_minutes, steps_alone.max_training_steps) == (None, 20_000)
    both = TrainConfig(max_minutes=60, max_training_steps=500)
    assert (both.max_minutes, both.max_training_steps) == (60, 500)
    # A copy keeps what its original had: the budget's run still has no step limit.
    assert TrainConfig(max_minutes=60).with_updates(batch_size=64).max_training_steps is None
