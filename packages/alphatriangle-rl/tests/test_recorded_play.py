"""Every player and every search plays the moves, scores and training targets recorded
before the acting code was reorganised (`recorded_play.py`, `data/recorded_play.json`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from alphatriangle.config import EnvConfig

from .recorded_play import RECORD, SELF_PLAY, _games, _self_play, fixed_network, players

RECORDED: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def network() -> Any:
    torch.set_num_threads(1)
    return fixed_network(EnvConfig())


@pytest.mark.parametrize("name", sorted(RECORDED["play"]))
def test_each_player_plays_its_recorded_moves(name: str, network: Any) -> None:
    player = players(EnvConfig(), network)[name]
    assert _games(player, EnvConfig()) == RECORDED["play"][name]


@pytest.mark.parametrize("name", sorted(SELF_PLAY))
def test_self_play_with_each_search_makes_its_recorded_positions(name: str, network: Any) -> None:
    assert _self_play(SELF_PLAY[name], EnvConfig(), network) == RECORDED["self_play"][name]
