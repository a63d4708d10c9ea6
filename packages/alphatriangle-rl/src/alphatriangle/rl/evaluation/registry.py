"""The baseline players by name: what `uv run apps/eval --player NAME` accepts.

A trained agent is judged against them: `random`, `greedy` and `mobility` look one
move ahead at most (`baselines.py`); `planner` plans every shape in the slots, and
`expectimax` also looks one refill further, over refills it draws itself (`planner.py`).
None of them sees a shape before the game deals it.
"""

from __future__ import annotations

from .baselines import GreedyPlayer, MobilityPlayer, OneMovePlayer, RandomPlayer
from .planner import ExpectimaxPlayer, PlannerPlayer

BASELINES: dict[str, type[OneMovePlayer]] = {
    "random": RandomPlayer,
    "greedy": GreedyPlayer,
    "mobility": MobilityPlayer,
    "planner": PlannerPlayer,
    "expectimax": ExpectimaxPlayer,
}
"""The baseline players by name, weakest first."""
