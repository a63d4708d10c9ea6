"""PNG charts of an evaluation: score distributions side by side, and a run's learning curve.

matplotlib runs on its Agg backend: no display is needed, and nothing opens a window.
The learning curve is read from the run's MLflow store (SQLite) by `learning_curve`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from alphatriangle.config import AppPaths
from alphatriangle.rl.evaluation import PlayerSummary
from alphatriangle.rl.metric_names import EPISODE_SCORE, EVAL_MEAN_SCORE

from .names import short_name
from .player_specs import EvalInputError

ROLLING_WINDOW = 50
"""Logged self-play points averaged into one point of the learning curve."""
REFERENCE_COLORS = ("tab:gray", "tab:green", "tab:purple", "tab:brown", "tab:olive")


def scores_figure(summaries: Sequence[PlayerSummary], title: str) -> Figure:
    """Box plots of every player's scores on the same seeds, with each game as a dot, and
    a legend that says what each mark is."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(summaries) + 2), 5.5))
    scores = [s.scores for s in summaries]
    ax.boxplot(
        scores,
        showmeans=True,
        whis=(10, 90),
        meanprops={"marker": "^", "markerfacecolor": "tab:green", "markeredgecolor": "tab:green"},
        medianprops={"color": "tab:orange"},
        flierprops={"marker": "o", "markerfacecolor": "none", "markeredgecolor": "black"},
    )
    rng = np.random.default_rng(0)
    for i, values in enumerate(scores, start=1):
        ax.scatter(
            i + rng.uniform(-0.15, 0.15, len(values)), values, s=8, alpha=0.4, color="tab:blue"
        )
    ax.set_xticks(
        range(1, len(summaries) + 1), [short_name(s.name) for s in summaries], rotation=15
    )
    ax.set_ylabel("game score")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        handles=[
            Line2D([], [], marker="^", linestyle="", color="tab:green", label="mean"),
            Line2D([], [], color="tab:orange", label="median"),
            Patch(facecolor="none", edgecolor="black", label="box: middle half (25-75%)"),
            Line2D([], [], color="black", label="whiskers: 10% to 90% of games"),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor="black",
                label="a game beyond the whiskers",
            ),
            Line2D([], [], marker="o", linestyle="", color="tab:blue", alpha=0.4, label="one game"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=3,
        fontsize="small",
    )
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_scores(summaries: Sequence[PlayerSummary], path: Path, title: str) -> Path:
    """`scores_figure` as a PNG at `path`."""
    return save_figure(scores_figure(summaries, title), path)


@dataclass(frozen=True, slots=True)
class LearningCurve:
    """A run's metrics against training step."""

    run_name: str
    eval_steps: list[int]
    eval_scores: list[float]
    episode_steps: list[int]
    episode_scores: list[float]


def learning_curve(app: AppPaths, run_name: str) -> LearningCurve:
    """Read the run's evaluation and self-play scores from the app's MLflow SQLite store."""
    if not app.mlflow_db_path.is_file():
        raise EvalInputError(f"--run {run_name}: no MLflow store at {app.mlflow_db_path}")
    from mlflow.tracking import MlflowClient  # slow import: only when a curve is wanted

    client = MlflowClient(tracking_uri=app.mlflow_tracking_uri)
    found = client.get_experiment_by_name(app.app_name)
    runs = (
        []
        if found is None
        else [
            r
            for r in client.search_runs([found.experiment_id], max_results=1000)
            if r.info.run_name == run_name
        ]
    )
    if not runs:
        raise EvalInputError(
            f"--run {run_name}: no MLflow run of that name in {app.mlflow_db_path}"
        )

    def history(metric: str) -> tuple[list[int], list[float]]:
        points = sorted(
            (m.step, m.timestamp, m.value)
            for r in runs
            for m in client.get_metric_history(r.info.run_id, metric)
        )
        return [p[0] for p in points], [p[2] for p in points]

    # The names the training loop logs them under: its periodic evaluation's mean score,
    # and self-play game scores (the mean of each training step's games).
    eval_steps, eval_scores = history(EVAL_MEAN_SCORE)
    episode_steps, episode_scores = history(EPISODE_SCORE)
    return LearningCurve(run_name, eval_steps, eval_scores, episode_steps, episode_scores)


def learning_curve_figure(curve: LearningCurve, references: Sequence[PlayerSummary] = ()) -> Figure:
    """The run's own scores against training step, and the players of this evaluation as
    reference lines on the same axes, so a reader sees at once whether the run passed
    them: self-play scores (dots, and their rolling mean as a line), the run's periodic
    evaluation (a line through its points, held flat to the run's last step, so even a
    run evaluated once draws a line), and each player's mean on the evaluation seeds."""
    fig, ax = plt.subplots(figsize=(8, 5))
    last_step = max([*curve.episode_steps, *curve.eval_steps, 0])
    if curve.episode_scores:
        steps = np.asarray(curve.episode_steps)
        scores = np.asarray(curve.episode_scores)
        ax.scatter(steps, scores, s=4, alpha=0.2, color="tab:blue", label="self-play game")
        # A short run averages fewer points, so its mean is a line across most of it.
        window = max(1, min(ROLLING_WINDOW, len(scores) // 4))
        rolling = np.convolve(scores, np.ones(window) / window, mode="valid")
        rolling_steps = steps[window - 1 :]
        ax.plot(
            rolling_steps,
            rolling,
            color="tab:blue",
            label=f"self-play score ({window}-game mean)",
        )
    if curve.eval_scores:
        eval_steps = [*curve.eval_steps]
        eval_scores = [*curve.eval_scores]
        if eval_steps[-1] < last_step or len(eval_steps) == 1:
            eval_steps.append(max(last_step, eval_steps[-1] + 1))
            eval_scores.append(eval_scores[-1])
        ax.plot(
            eval_steps,
            eval_scores,
            color="tab:red",
            label=f"run {curve.run_name}: evaluation mean score",
        )
        ax.plot(curve.eval_steps, curve.eval_scores, "o", color="tab:red")
    for i, reference in enumerate(references):
        ax.axhline(
            reference.mean_score,
            linestyle="--",
            color=REFERENCE_COLORS[i % len(REFERENCE_COLORS)],
            label=f"{short_name(reference.name)}: {reference.mean_score:.1f} "
            f"(mean of {len(reference.games)} games here)",
        )
    if not (curve.episode_scores or curve.eval_scores):
        ax.text(0.5, 0.5, "no score metrics logged yet", ha="center", transform=ax.transAxes)
    ax.set_xlabel("training step")
    ax.set_ylabel("game score")
    ax.set_title(f"learning curve of run {curve.run_name}")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_learning_curve(
    curve: LearningCurve, path: Path, references: Sequence[PlayerSummary] = ()
) -> Path:
    """`learning_curve_figure` as a PNG at `path`."""
    return save_figure(learning_curve_figure(curve, references), path)
