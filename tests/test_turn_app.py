"""The turn search as a user runs it: a tiny run trains, is interrupted, resumes exactly,
and `apps/eval` plays its checkpoint with the search it was trained with."""

from __future__ import annotations

import json
import signal
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from alphatriangle.config.mcts_config import SEARCH_ADAPTER
from alphatriangle.nn import read_checkpoint
from alphatriangle.rl import SEARCH_CONFIG_KEY

if TYPE_CHECKING:
    from conftest import EvalApp, TrainApp  # the fixtures' types (conftest is not importable)


def test_a_turn_search_run_trains_resumes_and_is_evaluated(
    tmp_path: Path, train_app: TrainApp, eval_app: EvalApp, tiny_toml: str
) -> None:
    # The tiny settings play the default search, the turn search, kept small.
    (tmp_path / "turn.toml").write_text(tiny_toml)
    base = ["--config", "turn.toml", "--run-name", "turn", "--seed", "4"]
    run_dir = tmp_path / ".alphatriangle_data" / "AlphaTriangle" / "runs" / "turn"

    first = train_app.run(tmp_path, *base, "--max-training-steps", "10")
    assert first.returncode == 0, first.stdout + first.stderr
    saved = read_checkpoint(run_dir / "checkpoints" / "latest.pt")
    search = SEARCH_ADAPTER.validate_json(str(saved[SEARCH_CONFIG_KEY]))
    assert (search.algorithm, search.turn_beam_width) == ("turn", 12)
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state["global_step"] == 10
    positions = state["buffer_size"]
    warm_up = tomllib.loads(tiny_toml)["train"]["min_buffer_size_to_train"]
    assert positions >= warm_up  # training began only once the buffer held the warm-up

    second = train_app.start(tmp_path, *base, "--max-training-steps", "5000")
    second.wait_for(f"Resuming run turn at step 10 with {positions} positions")
    second.wait_for_step(13)
    second.process.send_signal(signal.SIGINT)
    assert second.finish() == 130, second.output
    step = read_checkpoint(run_dir / "checkpoints" / "latest.pt")["global_step"]
    assert isinstance(step, int)
    assert step >= 13
    state = json.loads((run_dir / "run_state.json").read_text())
    assert state["global_step"] == step

    third = train_app.start(tmp_path, *base, "--max-training-steps", "5000")
    third.wait_for(f"Resuming run turn at step {step} with {state['buffer_size']} positions")
    third.wait_for_step(step + 1)
    third.process.send_signal(signal.SIGINT)
    assert third.finish() == 130, third.output

    result = eval_app(tmp_path, "--player", "run:turn", "--games", "2", "--max-moves", "30")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The table fits 100 columns (the name shortened there); results.json has it in full.
    assert "run:turn (t" in result.stdout
    (results,) = (tmp_path / ".alphatriangle_data" / "AlphaTriangle" / "eval").glob(
        "*/results.json"
    )
    players = json.loads(results.read_text())["players"]
    assert [p["name"] for p in players] == ["run:turn (turn search, board)"]
