"""What `apps/eval` shows a person: progress while games play, a table that fits 100
columns, charts whose marks are explained, and GIF captions that are not cut off."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image, ImageDraw
from rich.console import Console

from alphatriangle.config import EnvConfig, ModelConfig
from alphatriangle.eval.plots import LearningCurve, learning_curve_figure, scores_figure
from alphatriangle.eval.progress import play_all
from alphatriangle.eval.render import MARGIN, MIN_WIDTH, caption_lines, render_game
from alphatriangle.eval.report import TABLE_WIDTH, print_table, write_json
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.evaluation import (
    GameRecord,
    MobilityPlayer,
    PlayerSummary,
    PolicyPlayer,
    RandomPlayer,
    evaluate,
)

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(
    trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21
)
SEEDS = [11, 12, 13, 14, 15]
LONG_NAME = (
    "ckpt:/home/someone/projects/alphatriangle/.alphatriangle_data/AlphaTriangle/runs/"
    "run_20261207_031500/checkpoints/latest.pt (turn search, learned)"
)


def summary(name: str, scores: list[float]) -> PlayerSummary:
    games = tuple(
        GameRecord(seed, score, 10, 0, False) for seed, score in zip(SEEDS, scores, strict=True)
    )
    return PlayerSummary(name, games, seconds=1.0)


def test_progress_per_player_while_games_play_and_the_same_games_as_at_once() -> None:
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu", seed=0)
    players = [RandomPlayer(), MobilityPlayer(), PolicyPlayer(network, batch_games=2, name="net")]
    terminal = io.StringIO()
    shown = play_all(
        players, SEEDS, SMALL_BOARD, Console(file=terminal, force_terminal=True, width=100)
    )
    screen = terminal.getvalue()
    for player in ("random", "mobility", "net"):
        assert player in screen
    assert f"{len(SEEDS)}/{len(SEEDS)}" in screen
    assert "games, mean" in screen

    plain = io.StringIO()
    not_a_terminal = Console(file=plain, force_terminal=False, width=100)
    play_all(players, SEEDS, SMALL_BOARD, not_a_terminal, line_seconds=0.0)
    lines = plain.getvalue().splitlines()
    # One line per game for a player of one game at a time, per batch for a batched one.
    assert [line.split(":")[0] for line in lines] == ["random"] * 5 + ["mobility"] * 5 + ["net"] * 3
    mean = sum(shown[0].scores[:2]) / 2
    assert lines[1].startswith(f"random: 2/5 games, mean {mean:.1f}, ")
    assert lines[1].endswith("s left")

    quiet = io.StringIO()  # at most a line every few seconds: here the first and the last
    play_all(players, SEEDS, SMALL_BOARD, Console(file=quiet, force_terminal=False))
    assert [line.split(",")[0] for line in quiet.getvalue().splitlines()] == [
        f"{name}: {done}/5 games" for name in ("random", "mobility") for done in (1, 5)
    ] + ["net: 2/5 games", "net: 5/5 games"]

    at_once = evaluate(players, SEEDS, SMALL_BOARD)
    assert [s.scores for s in shown] == [s.scores for s in at_once]


def test_the_table_fits_100_columns_and_the_json_keeps_the_full_name(tmp_path: Path) -> None:
    summaries = [summary(LONG_NAME, [1.0, 2.0, 3.0, 4.0, 12345.6]), summary("planner", [200.0] * 5)]
    for console_width in (100, 160):
        console = Console(file=io.StringIO(), width=console_width, record=True)
        print_table(summaries, "5 games on seeds 11..15", console)
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= TABLE_WIDTH, text
        (row,) = [line.strip() for line in text.splitlines() if "ckpt:" in line]
        shown = row.split("  ")[0]  # the name, shortened in the middle just enough
        assert shown.startswith("ckpt:/home")
        assert "..." in shown
        assert shown.endswith("learned)")
        assert "results.json has them in full" in text
    # A name that fits is shown whole.
    fits = "run:turn (turn search)"
    console = Console(file=io.StringIO(), width=100, record=True)
    print_table([summary(fits, [200.0] * 5)], "5 games", console)
    assert fits in console.export_text()
    written = json.loads(write_json(tmp_path / "results.json", summaries, {}).read_text())
    assert written["players"][0]["name"] == LONG_NAME


def test_every_mark_of_the_score_chart_is_in_its_legend() -> None:
    fig = scores_figure(
        [summary("random", [1, 2, 3, 4, 90]), summary("planner", [200, 210, 190, 205, 1])],
        "title",
    )
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert legend is not None
    texts = [text.get_text() for text in legend.get_texts()]
    assert texts == [
        "mean",
        "median",
        "box: middle half (25-75%)",
        "whiskers: 10% to 90% of games",
        "a game beyond the whiskers",
        "one game",
    ]
    # The triangles and circles drawn are the legend's: mean marker and the fliers.
    markers = {line.get_marker() for line in ax.get_lines() if line.get_xydata().size}
    assert {"^", "o"} <= markers
    plt.close(fig)


def test_the_learning_curve_draws_the_run_and_the_players_as_lines() -> None:
    # A short run: evaluated once, a few self-play games.
    curve = LearningCurve("short", [20], [12.5], [5, 10, 15, 20, 25], [3.0, 4.0, 5.0, 6.0, 7.0])
    planner = summary("planner", [200.0, 210.0, 190.0, 205.0, 195.0])
    fig = learning_curve_figure(curve, [planner])
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    evaluation = lines["run short: evaluation mean score"]
    xs, ys = evaluation.get_data()
    assert len(xs) >= 2  # a line to the run's last step
    assert list(ys) == [12.5, 12.5]
    assert max(xs) == 25
    reference = lines["planner: 200.0 (mean of 5 games here)"]
    assert list(reference.get_ydata()) == [200.0, 200.0]  # a horizontal line at its mean
    (self_play,) = [line for name, line in lines.items() if name.startswith("self-play score")]
    assert len(self_play.get_xdata()) >= 2
    legend = ax.get_legend()
    assert legend is not None
    texts = {text.get_text() for text in legend.get_texts()}
    assert {"run short: evaluation mean score", "planner: 200.0 (mean of 5 games here)"} <= texts
    plt.close(fig)


def test_the_gif_caption_fits_the_picture(tmp_path: Path) -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (MIN_WIDTH, 40)))
    width = MIN_WIDTH - 2 * MARGIN
    state = "seed 2147483649  move 1234/1234  score 1234.56"
    player, second = caption_lines(draw, LONG_NAME, state, width)
    assert draw.textlength(player) <= width
    assert draw.textlength(second) <= width
    assert second == state  # the game's figures are never cut
    assert player.startswith("ckpt:/home")
    assert "..." in player
    assert player.endswith("learned)")

    (record,) = PolicyPlayer(
        NeuralNetwork(model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu", seed=0),
        name="net",
    ).play(SMALL_BOARD, [2**31 + 1], max_moves=3, record_games=1)
    gif = render_game(record, SMALL_BOARD, tmp_path / "game.gif", LONG_NAME)
    with Image.open(gif) as image:
        assert image.n_frames == record.length + 1
