"""`uv run apps/eval` as a user starts it: a subprocess in a fresh directory.

A tiny checkpoint and the baselines on the same seeds: the table, the JSON, the chart
and a game animation are written where the README says; an unknown player exits 2.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.nn import NeuralNetwork

REPO = Path(__file__).resolve().parents[1]
SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(
    trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21
)


def evaluate(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`uv run apps/eval ARGS` from `workdir`, in this test's environment."""
    uv = shutil.which("uv")
    assert uv is not None, "uv must be on PATH (the README's prerequisite)"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
    command = [uv, "run", "--frozen", "--project", str(REPO), str(REPO / "apps" / "eval"), *args]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )


def test_eval_app_compares_a_checkpoint_with_the_baselines(tmp_path: Path) -> None:
    NeuralNetwork(model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu", seed=0).save(
        tmp_path / "tiny.pt"
    )
    players = ("random", "greedy", "mobility", "ckpt:tiny.pt")
    result = evaluate(
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

    unknown = evaluate(tmp_path, "--player", "champion")
    assert unknown.returncode == 2
    assert "unknown player 'champion'" in unknown.stderr
