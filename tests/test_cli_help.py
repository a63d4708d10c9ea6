"""`--help` of both command lines says each option's default once, and the defaults that
live in the config models are read from there (both apps share the formatter)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

import pytest

from alphatriangle.config import GumbelConfig
from alphatriangle.eval.cli import build_parser as build_eval_parser
from alphatriangle.training.cli import build_parser as build_train_parser


def _option_entries(help_text: str) -> dict[str, str]:
    """`--flag` -> its help entry, from argparse's `options:` section."""
    entries: dict[str, str] = {}
    flag = ""
    for line in help_text.split("options:", 1)[1].splitlines():
        match = re.match(r"^  (-[-\w]+)", line)
        if match:
            flag = match.group(1)
            entries[flag] = ""
        if flag:
            entries[flag] += " " + line.strip()
    return entries


@pytest.mark.parametrize("parser", [build_train_parser, build_eval_parser])
def test_help_says_each_default_once(parser: Callable[[], argparse.ArgumentParser]) -> None:
    text = parser().format_help()
    entries = _option_entries(text)
    assert len(entries) > 10
    assert "(default: None)" not in text
    for flag, entry in entries.items():
        assert entry.count("(default") <= 1, f"{flag} says its default twice: {entry}"
    # Defaults that live in the config models are read from there, not restated.
    simulations = GumbelConfig().max_simulations
    assert f"(default: from [mcts], {simulations})" in " ".join(entries["--simulations"].split())
