"""Bad arguments and config values exit 2, name the problem and create nothing on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alphatriangle.training.cli import main


@pytest.mark.parametrize(
    ("extra", "toml", "expected"),
    [
        (["--workers", "0"], "", "num_self_play_workers"),
        (["--simulations", "-3"], "", "max_simulations"),
        (["--simulations", "8"], "", "--simulations: the configured search is the turn search"),
        (["--simulations", "8"], '[mcts]\nalgorithm = "puct"\ncpuct = 0\n', "[mcts] cpuct"),
        (["--max-minutes", "-1"], "", "max_minutes"),
        ([], "[train]\nbatch_sise = 4\n", "batch_sise"),
        ([], "[train]\nlearning_rate = -1.0\n", "learning_rate"),
        ([], "[search]\nmax_simulations = 4\n", "[search]"),
        ([], "[env]\nROWS = 0\n", "ROWS"),
        ([], "[train\n", "not valid TOML"),
        (["--load-checkpoint", "missing.pt"], "", "missing.pt"),
        (["--run-name", "../escape"], "", "--run-name"),
        (["--ray-address", "headnode"], "", "--ray-address"),
        (["--ray-connect-timeout", "0"], "", "--ray-connect-timeout"),
    ],
)
def test_bad_input_exits_2_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    toml: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = list(extra)
    if toml:
        (tmp_path / "bad.toml").write_text(toml)
        args += ["--config", "bad.toml"]
    assert main(args) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_unparseable_arguments_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as caught:
        main(["--seed", "abc"])
    assert caught.value.code == 2
    assert "--seed" in capsys.readouterr().err
    assert not (tmp_path / ".alphatriangle_data").exists()


def test_help_lists_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--run-name",
        "--seed",
        "--max-training-steps",
        "--max-minutes",
        "--workers",
        "--games-per-worker",
        "--device",
        "--resume",
        "--no-resume",
        "--load-checkpoint",
        "--ray-address",
        "--ray-connect-timeout",
        "--log-level",
        "--data-dir",
        "--config",
        "--model-preset",
    ):
        assert option in text
    assert "(default: 42; a resumed run keeps its own)" in " ".join(text.split())


def _small_board_checkpoint(tmp_path: Path, run_name: str) -> Path:
    """A training checkpoint of run `run_name` for a 6x9 board with 2 shape slots."""
    from alphatriangle.config import (
        EnvConfig,
        ModelConfig,
        RunContext,
        TrainConfig,
        search_config,
    )
    from alphatriangle.nn import NeuralNetwork
    from alphatriangle.rl import ExperienceBuffer, Trainer
    from alphatriangle.training.store.checkpoints import CheckpointStore
    from alphatriangle.training.store.resume import RunCounters, training_extras

    board = EnvConfig(
        ROWS=6,
        COLS=9,
        PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
        NUM_SHAPE_SLOTS=2,
    )
    model = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)
    network = NeuralNetwork(model_config=model, env_config=board, device="cpu")
    config = TrainConfig()
    store = CheckpointStore(
        RunContext(run_name=run_name, data_root=tmp_path / ".alphatriangle_data")
    )
    extras = training_extras(
        counters=RunCounters(),
        trainer=Trainer(network=network, config=config),
        buffer=ExperienceBuffer.from_config(config, seed=0),
        run_name=run_name,
        mlflow_run_id=None,
        buffer_step=None,
        mcts_config=search_config(),
    )
    return store.save_checkpoint(network, 0, extras)


def test_a_checkpoint_for_another_board_exits_2_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    saved = _small_board_checkpoint(tmp_path, "small")
    before = saved.read_bytes()
    # Resuming the run on the default board, and starting a new run from its weights.
    for args in (["--run-name", "small"], ["--run-name", "other", "--load-checkpoint", str(saved)]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "6x9 with 2 shape slots" in err
        assert "8x15 with 3 shape slots" in err
    assert saved.read_bytes() == before
    assert not (tmp_path / ".alphatriangle_data" / "AlphaTriangle" / "mlflow.db").exists()


def test_help_and_bad_arguments_answer_without_loading_the_pipeline(tmp_path: Path) -> None:
    """`--help` and argument errors must not wait for torch, Ray, trieye and MLflow."""
    probe = (
        "import sys\n"
        "from alphatriangle.training.cli import main\n"
        "code = main(['--workers', '0'])\n"
        "heavy = [m for m in ('torch', 'ray', 'trieye', 'mlflow') if m in sys.modules]\n"
        "print('loaded:', heavy, 'exit:', code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "loaded: [] exit: 2" in result.stdout, result.stdout + result.stderr
    assert "num_self_play_workers" in result.stderr


def _saved_run(tmp_path: Path, mcts: dict[str, object]) -> Path:
    """Run "small" with a checkpoint and a run-state file whose `[mcts]` settings are `mcts`."""
    import json

    from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
    from alphatriangle.nn import read_checkpoint
    from alphatriangle.training.store.run_settings import RunSettings

    saved = _small_board_checkpoint(tmp_path, "small")
    board = EnvConfig.model_validate(json.loads(str(read_checkpoint(saved)["env_config"])))
    settings = RunSettings(
        seed=3,
        env=board,
        model=ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16),
        train=TrainConfig(),
        mcts=search_config(),
    ).to_json()
    settings["mcts"] = mcts
    state_file = saved.parents[1] / "run_state.json"
    state_file.write_text(json.dumps({"finished": False, "settings": settings}))
    return state_file


def test_a_resume_with_another_search_exits_2_naming_it_and_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's settings come from its run-state file: another --simulations is refused."""
    monkeypatch.chdir(tmp_path)
    _saved_run(tmp_path, {"algorithm": "gumbel", "max_simulations": 16})
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert main(["--run-name", "small", "--simulations", "8"]) == 2
    err = capsys.readouterr().err
    assert "[mcts] max_simulations: the run has 16, given 8" in err
    assert "--no-resume" in err
    assert main(["--run-name", "small", "--seed", "4"]) == 2
    assert "--seed: the run has 3, given 4" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


OLD_FLAT_TURN_TABLE: dict[str, object] = {
    # The `[mcts]` settings a turn run saved before each search had a class: every field.
    "algorithm": "turn",
    "turn_value": "hand+network",
    "turn_correction_bound": 3.0,
    "turn_beam_width": 100,
    "turn_candidates": 32,
    "turn_temperature": 0.0,
    "max_simulations": 16,
    "max_depth": 64,
    "cpuct": 1.25,
    "dirichlet_alpha": 0.3,
    "dirichlet_epsilon": 0.25,
    "discount": 0.99,
    "mcts_batch_size": 256,
    "refill_draws": "per_child",
    "reuse_tree": True,
    "temperature": 1.0,
    "temperature_moves": 30,
    "gumbel_max_considered_actions": 16,
    "gumbel_scale": 1.0,
    "gumbel_c_visit": 50.0,
    "gumbel_c_scale": 1.0,
}


def test_an_old_turn_run_with_another_unused_cpuct_is_converted_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A turn run saved before the searches had a class each: its unused cpuct (2.0, not
    today's 1.25) is dropped on reading, and said so; its old config file naming cpuct
    again, or --simulations, exits 2 naming exactly that and touches nothing."""
    from alphatriangle.config import RunContext, TurnSearchConfig
    from alphatriangle.config.mcts_config import RECORDED_BEFORE_THE_FIELD
    from alphatriangle.training.store.run_settings import saved_settings, settings_for_start

    monkeypatch.chdir(tmp_path)
    state_file = _saved_run(tmp_path, {**OLD_FLAT_TURN_TABLE, "cpuct": 2.0})
    context = RunContext(run_name="small", data_root=tmp_path / ".alphatriangle_data")
    saved = saved_settings(context)
    assert saved is not None
    assert saved.settings is not None
    turn_fields = {
        k: v for k, v in OLD_FLAT_TURN_TABLE.items() if k in TurnSearchConfig.model_fields
    }
    assert saved.settings.mcts == TurnSearchConfig(**{**turn_fields, **RECORDED_BEFORE_THE_FIELD})
    assert saved.converted is not None
    assert "cpuct" in saved.converted
    assert str(state_file) in saved.converted
    start = settings_for_start(context, saved.settings, {}, saved)
    assert (start.settings, start.converted) == (saved.settings, saved.converted)
    (tmp_path / "old.toml").write_text("[mcts]\ncpuct = 2.0\n")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert main(["--run-name", "small", "--config", "old.toml"]) == 2
    err = capsys.readouterr().err
    assert "[mcts] cpuct is a setting of the puct search" in err
    assert "remove cpuct" in err
    assert main(["--run-name", "small", "--simulations", "8"]) == 2
    err = capsys.readouterr().err
    assert "--simulations: this run's search is the turn search" in err
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
