"""What a run tells its user first and last: what it will do, and how to go on from it.

First (`plan_line`): which limit ends the run and about when, so that nobody starts a
day-long run thinking it takes minutes. The clock of a time budget starts with the
self-play workers and counts over resumes (`RunBudget`); a step limit's end depends on
the machine, and the progress line's ETA tells it once training has settled.

Last (`next_step_lines`): a run stopped by Ctrl-C or SIGTERM (or ended any other
way after it trained) leaves a checkpoint and a buffer; a newcomer needs the folder and
the two commands that resume and evaluate it, not a search through the README. The
commands are the ones `uv run apps/train` and `uv run apps/eval` take; the data
directory and the cluster address appear only when the run was started with other
ones than the defaults.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from alphatriangle.config import DATA_DIR_NAME, RunContext, TrainConfig

TRAIN_COMMAND = "uv run apps/train"
EVAL_COMMAND = "uv run apps/eval"


def plan_line(train: TrainConfig) -> str:
    """One sentence: what this run trains for, and about how long that takes."""
    steps, minutes = train.max_training_steps, train.max_minutes
    stop = "Ctrl-C stops it sooner, after saving, and the same command resumes it"
    if minutes is not None and steps is None:
        return (
            f"This run trains for {minutes:g} minutes (its time budget, counted over "
            f"resumes: about {minutes:g} minutes from now plus a minute of start-up, when "
            f"not resumed); the learning rate anneals over them. {stop}."
        )
    if minutes is not None and steps is not None:
        return (
            f"This run trains until step {steps} or for {minutes:g} minutes (counted over "
            f"resumes), whichever comes first. {stop}."
        )
    if steps is not None:
        return (
            f"This run trains until step {steps}, with no time budget: how long that takes "
            "depends on the machine (the progress line's ETA says, once training has run a "
            f"few minutes; --max-minutes sets a budget instead). {stop}."
        )
    return f"This run has no step limit and no time budget: it trains until stopped. {stop}."


def _data_dir_args(run_context: RunContext, cwd: Path) -> list[str]:
    """`--data-dir DIR`, unless DIR is the default one under `cwd`."""
    default = (cwd / DATA_DIR_NAME).resolve()
    if run_context.data_root == default:
        return []
    return ["--data-dir", str(run_context.data_root)]


def next_step_lines(
    run_context: RunContext, *, finished: bool, cwd: Path | None = None
) -> list[str]:
    """The last lines of a run that trained: its folder, and the commands to resume it
    (unless it `finished`: reached its limit) and to evaluate it beside the planner."""
    where = _data_dir_args(run_context, cwd or Path.cwd())
    name = run_context.run_name
    lines = [f"The run's data (checkpoints, buffer, logs): {run_context.run_dir}"]
    if not finished:
        resume = [*where, "--run-name", name]
        if run_context.ray_address:
            resume += ["--ray-address", run_context.ray_address]
        lines.append(f"Resume it:   {TRAIN_COMMAND} {shlex.join(resume)}")
    evaluate = [*where, "--player", f"run:{name}", "--player", "planner", "--run", name]
    lines.append(f"Evaluate it: {EVAL_COMMAND} {shlex.join(evaluate)}")
    return lines
