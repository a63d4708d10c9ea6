"""`uv run apps/eval` as a user starts it: a subprocess in a fresh directory.

A tiny checkpoint and the baselines on the same seeds: the table, the JSON, the chart
and a game animation are written where the README says; an unknown player exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.nn import NeuralNetwork

if TYPE_CHECKING:
    from conftest import EvalApp  # the fixture's type (conftest is not importable)

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(
    trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21
)


def test_eval_app_compares_a_checkpoint_with_the_baselines(
    tmp_path: Path, eval_app: EvalApp
) -> None:
    NeuralNetwork(model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu", seed=0).save(
        tmp_path / "tiny.pt"
    )
    players = ("random", "greedy", "mobility", "ckpt:tiny.pt")
    result = eval_app(
        tmp_path,
        *(arg for player in players for arg in ("--player", player)),
        *("--games", "10", "--simulations", "2", "--render", "1"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "board 6x9 with 2 shape slots" in output  # taken from the checkpoint
    for name in ("random", "greedy", "mobility", "ckpt:tiny.pt (search 2)"):
        assert name in result.stdout
    (out,) = (tmp_path / ".alphatriangle_data" / "AlphaTriangle" / "eval").iterdir()
    results = json.loads((out / "results.json").read_text())
    means = {p["name"]: p["mean_score"] for p in results["players"]}
    assert means["mobility"] > means["greedy"] > means["random"]
    assert (out / "scores.png").stat().st_size > 0
    assert len(list((out / "games").glob("*.gif"))) == 4

    unknown = eval_app(tmp_path, "--player", "champion")
    assert unknown.returncode == 2
    assert "unknown player 'champion'" in unknown.stderr
