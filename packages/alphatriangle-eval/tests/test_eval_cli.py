"""The evaluation command line in-process: what it writes, the learning curve from MLflow,
and each bad input exiting 2 with a message that names it, before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient
from PIL import Image

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.eval.cli import main
from alphatriangle.nn import NeuralNetwork

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(
    trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21
)
SMALL_TOML = """[env]
ROWS = 6
COLS = 9
PLAYABLE_RANGE_PER_ROW = [[1, 8], [0, 9], [0, 9], [0, 9], [0, 9], [1, 8]]
NUM_SHAPE_SLOTS = 2

[mcts]
gumbel_max_considered_actions = 4
"""


def save_network(path: Path, env: EnvConfig = SMALL_BOARD) -> Path:
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env, device="cpu", seed=0)
    return network.save(path)


@pytest.fixture
def small_toml(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    return path


def test_players_side_by_side_write_table_json_chart_and_games(
    tmp_path: Path, small_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = save_network(tmp_path / "tiny.pt")
    out = tmp_path / "report"
    code = main(
        [
            *("--config", str(small_toml), "--games", "8", "--simulations", "2"),
            *("--player", "random", "--player", "mobility", "--player", f"ckpt:{checkpoint}"),
            *("--render", "1", "--out", str(out)),
        ]
    )
    console = capsys.readouterr().out
    assert code == 0, console
    for name in ("random", "mobility", "ckpt:/", "(search 2)", "median"):
        assert name in console  # a long name shortened; results.json has it in full
    results = json.loads((out / "results.json").read_text())
    players = {p["name"]: p for p in results["players"]}
    assert list(players) == ["random", "mobility", f"ckpt:{checkpoint} (search 2)"]
    seeds = results["settings"]["seeds"]
    assert len(seeds) == 8
    for player in players.values():
        assert [g["seed"] for g in player["per_game"]] == seeds
        assert player["mean_score"] == pytest.approx(
            sum(g["score"] for g in player["per_game"]) / 8
        )
    assert players["mobility"]["mean_score"] > players["random"]["mean_score"] + 4.0
    assert results["settings"]["env"]["ROWS"] == 6
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gifs = sorted((out / "games").glob("*.gif"))
    assert len(gifs) == 3
    random_game = players["random"]["per_game"][0]
    with Image.open(out / "games" / f"random_seed{seeds[0]}.gif") as gif:
        assert gif.n_frames == random_game["length"] + 1


def test_a_run_player_and_its_learning_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_dir = tmp_path / "data" / "AlphaTriangle"
    save_network(app_dir / "runs" / "demo" / "checkpoints" / "latest.pt")
    client = MlflowClient(tracking_uri=f"sqlite:///{(app_dir / 'mlflow.db').as_posix()}")
    experiment = client.create_experiment(
        "AlphaTriangle", artifact_location=(app_dir / "mlartifacts").as_uri()
    )
    run_id = client.create_run(experiment, run_name="demo").info.run_id
    for step in range(1, 61):
        client.log_metric(run_id, "Episode/score", float(step % 7), step=step)
    for step in (20, 40, 60):
        client.log_metric(run_id, "Eval/mean_score", step / 10, step=step)
    client.set_terminated(run_id)

    code = main(
        [
            *("--data-dir", str(tmp_path / "data"), "--games", "2", "--raw-policy"),
            *("--player", "run:demo", "--player", "mobility", "--run", "demo"),
        ]
    )
    console = capsys.readouterr().out
    assert code == 0, console
    assert "run:demo (policy)" in console
    (out,) = (app_dir / "eval").iterdir()
    assert (out / "learning_curve_demo.png").read_bytes()[:4] == b"\x89PNG"
    results = json.loads((out / "results.json").read_text())
    assert "learning_curve:demo" in results["settings"]["files"]
    assert results["settings"]["env"]["ROWS"] == 6  # the board the checkpoint records


def test_unparseable_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--games", "many"])
    assert caught.value.code == 2
    assert "--games" in capsys.readouterr().err


def write_mismatched_shape(path: Path) -> None:
    """A checkpoint whose recorded model config says 16 channels but whose weights have 8."""
    save_network(path)
    payload = torch.load(path, weights_only=True)
    payload["model_config"] = TINY_MODEL.model_copy(update={"trunk_channels": 16}).model_dump_json()
    torch.save(payload, path)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown", "unknown player 'champion'"),
        ("missing", "missing.pt does not exist"),
        ("corrupt", "cannot be read"),
        ("other_board", "is for a board of 8x15 with 3 shape slots, but the evaluation plays"),
        ("network_shape", "does not fit this network"),
        ("run_without_checkpoint", "run nothing has no such checkpoint yet"),
        ("run_kind", "must be 'latest' or 'best'"),
        ("no_mlflow", "--run demo: no MLflow store"),
        ("games", "--games must be at least 1"),
    ],
)
def test_bad_input_exits_2_naming_it(
    case: str,
    expected: str,
    tmp_path: Path,
    small_toml: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    if case == "unknown":
        args += ["--player", "champion"]
    elif case == "missing":
        args += ["--player", f"ckpt:{tmp_path / 'missing.pt'}"]
    elif case == "corrupt":
        (tmp_path / "corrupt.pt").write_bytes(b"not a checkpoint at all")
        args += ["--player", f"ckpt:{tmp_path / 'corrupt.pt'}"]
    elif case == "other_board":
        save_network(tmp_path / "default.pt", EnvConfig())
        args += ["--config", str(small_toml), "--player", f"ckpt:{tmp_path / 'default.pt'}"]
    elif case == "network_shape":
        write_mismatched_shape(tmp_path / "shape.pt")
        args += ["--player", f"ckpt:{tmp_path / 'shape.pt'}"]
    elif case == "run_without_checkpoint":
        args += ["--player", "run:nothing"]
    elif case == "run_kind":
        args += ["--player", "run:demo:newest"]
    elif case == "no_mlflow":
        args += ["--player", "random", "--run", "demo"]
    elif case == "games":
        args += ["--games", "0"]
    assert main(args) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "data").exists()


OLD_FLAT_TURN_SEARCH = {
    # What a turn run recorded in its checkpoints before each search had its own settings.
    **{"algorithm": "turn", "turn_value": "hand+network", "turn_correction_bound": 3.0},
    **{"turn_beam_width": 8, "turn_candidates": 4, "turn_temperature": 0.0},
    **{"max_simulations": 16, "max_depth": 64, "cpuct": 1.25, "dirichlet_alpha": 0.3},
    **{"dirichlet_epsilon": 0.25, "discount": 0.99, "mcts_batch_size": 256},
    **{"refill_draws": "per_child", "reuse_tree": True, "temperature": 1.0},
    **{"temperature_moves": 30, "gumbel_max_considered_actions": 16, "gumbel_scale": 1.0},
    **{"gumbel_c_visit": 50.0, "gumbel_c_scale": 1.0},
}


def test_a_checkpoint_written_before_the_search_classes_still_evaluates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its recorded search (every search's fields in one table) is read as the turn search
    it names; --simulations, which the turn search does not run, is refused naming it."""
    from alphatriangle.rl import SEARCH_CONFIG_KEY

    network = NeuralNetwork(model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu")
    checkpoint = network.save(
        tmp_path / "old.pt", {SEARCH_CONFIG_KEY: json.dumps(OLD_FLAT_TURN_SEARCH)}
    )
    out = tmp_path / "report"
    args = ["--games", "2", "--max-moves", "6", "--player", f"ckpt:{checkpoint}"]
    assert main([*args, "--out", str(out)]) == 0, capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert [p["name"] for p in results["players"]] == [
        f"ckpt:{checkpoint} (turn search, hand+network)"
    ]
    assert main([*args, "--simulations", "4", "--out", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err
    assert "max_simulations is a setting of the puct and gumbel searches" in err
    assert "does not act in the turn search" in err
