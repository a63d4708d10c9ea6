"""The last lines of a run: its folder, and commands that resume and evaluate exactly it."""

from __future__ import annotations

from pathlib import Path

from alphatriangle.config import DATA_DIR_NAME, RunContext, TrainConfig
from alphatriangle.training.pipeline.guidance import next_step_lines, plan_line


def test_a_stopped_run_names_its_folder_and_the_commands_to_go_on(tmp_path: Path) -> None:
    run = RunContext(run_name="run_1", data_root=tmp_path / DATA_DIR_NAME)
    lines = next_step_lines(run, finished=False, cwd=tmp_path)
    assert lines == [
        f"The run's data (checkpoints, buffer, logs): {run.run_dir}",
        "Resume it:   uv run apps/train --run-name run_1",
        "Evaluate it: uv run apps/eval --player run:run_1 --player planner --run run_1",
    ]


def test_another_data_dir_and_a_cluster_are_part_of_the_commands(tmp_path: Path) -> None:
    data = tmp_path / "my data"
    run = RunContext(run_name="r", data_root=data, ray_address="10.0.0.5:6379")
    resume, evaluate = next_step_lines(run, finished=False, cwd=tmp_path)[1:]
    assert resume == (
        f"Resume it:   uv run apps/train --data-dir '{data}' --run-name r "
        "--ray-address 10.0.0.5:6379"
    )
    assert evaluate.startswith(f"Evaluate it: uv run apps/eval --data-dir '{data}' --player run:r")


def test_a_finished_run_is_not_told_to_resume(tmp_path: Path) -> None:
    run = RunContext(run_name="done", data_root=tmp_path / DATA_DIR_NAME)
    lines = next_step_lines(run, finished=True, cwd=tmp_path)
    assert not [line for line in lines if line.startswith("Resume")]
    assert lines[-1].startswith("Evaluate it: uv run apps/eval --player run:done")


def test_the_first_lines_say_what_the_run_trains_for() -> None:
    default = plan_line(TrainConfig())
    assert default.startswith("This run trains for 60 minutes (its time budget")
    assert "about 60 minutes from now" in default
    steps = plan_line(TrainConfig(max_training_steps=20_000))
    assert steps.startswith("This run trains until step 20000, with no time budget")
    assert "ETA" in steps
    both = plan_line(TrainConfig(max_training_steps=500, max_minutes=10))
    assert both.startswith("This run trains until step 500 or for 10 minutes")
    for line in (default, steps, both):
        assert "Ctrl-C stops it sooner" in line
