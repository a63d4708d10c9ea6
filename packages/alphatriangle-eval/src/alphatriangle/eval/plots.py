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

from alphatriangle.config import AppPaths
from alphatriangle.rl.evaluation import PlayerSummary
from alphatriangle.rl.metric_names import EPISODE_SCORE, EVAL_MEAN_SCORE

from .player_specs import EvalInputError

ROLLING_WINDOW = 50
"""Logged self-play points averaged into one point of the learning curve."""
BASELINE_COLORS = ("tab:gray", "tab:green", "tab:purple", "tab:brown", "tab:olive")


def plot_scores(summaries: Sequence[PlayerSummary], path: Path, title: str) -> Path:
    """Box plots of every player's scores on the same seeds, with each game as a dot."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(summaries) + 2), 5))
    scores = [s.scores for s in summaries]
    ax.boxplot(scores, showmeans=True, whis=(10, 90))
    rng = np.random.default_rng(0)
    for i, values in enumerate(scores, start=1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=8, alpha=0.4)
    ax.set_xticks(range(1, len(summaries) + 1), [s.name for s in summaries], rotation=15)
    ax.set_ylabel("game score")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


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


def plot_learning_curve(
    curve: LearningCurve, path: Path, baselines: Sequence[PlayerSummary] = ()
) -> Path:
    """Self-play score (rolling mean) and evaluation score against training step."""
    fig, ax = plt.subplots(figsize=(8, 5))
    if curve.episode_scores:
        steps = np.asarray(curve.episode_steps)
        scores = np.asarray(curve.episode_scores)
        ax.scatter(steps, scores, s=4, alpha=0.2, color="tab:blue")
        window = min(ROLLING_WINDOW, len(scores))
        rolling = np.convolve(scores, np.ones(window) / window, mode="valid")
        ax.plot(
            steps[window - 1 :],
            rolling,
            color="tab:blue",
            label=f"self-play score ({window}-game mean)",
        )
    if curve.eval_scores:
        ax.plot(
            curve.eval_steps,
            curve.eval_scores,
            "o-",
            color="tab:red",
            label="evaluation mean score",
        )
    for i, baseline in enumerate(baselines):
        ax.axhline(
            baseline.mean_score,
            linestyle="--",
            color=BASELINE_COLORS[i % len(BASELINE_COLORS)],
            label=f"{baseline.name} (mean on the evaluation seeds)",
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
