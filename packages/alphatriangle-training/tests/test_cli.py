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
        AlphaTriangleMCTSConfig,
        EnvConfig,
        ModelConfig,
        RunContext,
        TrainConfig,
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
        mcts_config=AlphaTriangleMCTSConfig(),
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


def test_a_resume_with_another_search_exits_2_naming_it_and_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's settings come from its run-state file: another --simulations is refused."""
    import json

    from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, TrainConfig
    from alphatriangle.nn import read_checkpoint
    from alphatriangle.training.store.run_settings import RunSettings

    monkeypatch.chdir(tmp_path)
    saved = _small_board_checkpoint(tmp_path, "small")
    board = EnvConfig.model_validate(json.loads(str(read_checkpoint(saved)["env_config"])))
    settings = RunSettings(
        seed=3,
        env=board,
        model=ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16),
        train=TrainConfig(),
        mcts=AlphaTriangleMCTSConfig(),
    )
    state_file = saved.parents[1] / "run_state.json"
    state_file.write_text(json.dumps({"finished": False, "settings": settings.to_json()}))
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert main(["--run-name", "small", "--simulations", "8"]) == 2
    err = capsys.readouterr().err
    assert "[mcts] max_simulations: the run has 16, given 8" in err
    assert "--no-resume" in err
    assert main(["--run-name", "small", "--seed", "4"]) == 2
    assert "--seed: the run has 3, given 4" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
