"""The turn search as a user runs it: a tiny run (the `resumed_run` fixture's) trains,
is interrupted, resumes exactly, and `apps/eval` plays its checkpoint with the search
it was trained with."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING

from alphatriangle.config.mcts_config import SEARCH_ADAPTER
from alphatriangle.rl import SEARCH_CONFIG_KEY

if TYPE_CHECKING:
    from conftest import (  # the fixtures' types (conftest is not importable)
        EvalApp,
        ResumedRun,
    )


def test_a_turn_search_run_trains_resumes_and_is_evaluated(
    resumed_run: ResumedRun, eval_app: EvalApp, tiny_toml: str
) -> None:
    # The tiny settings play the default search, the turn search, kept small: every
    # launch's checkpoint, resumed or fresh, holds that search.
    first = resumed_run.first
    assert first.code == 0, first.output
    for launch in (first, resumed_run.interrupted, resumed_run.terminated, resumed_run.fresh):
        search = SEARCH_ADAPTER.validate_json(str(launch.latest[SEARCH_CONFIG_KEY]))
        assert (search.algorithm, search.turn_beam_width) == ("turn", 12)
    positions = first.state["buffer_size"]
    assert isinstance(positions, int)
    warm_up = tomllib.loads(tiny_toml)["train"]["min_buffer_size_to_train"]
    assert positions >= warm_up  # training began only once the buffer held the warm-up

    workdir = resumed_run.workdir
    result = eval_app(workdir, "--player", "run:e2e", "--games", "2", "--max-moves", "30")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The table fits 100 columns (the name shortened there); results.json has it in full.
    assert "run:e2e (tu..." in result.stdout
    (results,) = (resumed_run.app_dir / "eval").glob("*/results.json")
    players = json.loads(results.read_text())["players"]
    assert [p["name"] for p in players] == ["run:e2e (turn search, board)"]
