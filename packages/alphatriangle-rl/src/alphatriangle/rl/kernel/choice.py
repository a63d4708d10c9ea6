"""The turn search's last steps, compiled: plans scored by the hand-made value, ties found.

Once the plans are grown, the planner scores each and plays the best one's first move.
Both steps were a dozen numpy calls on small arrays, more time than their arithmetic;
here each is one loop, the one implementation of its rule:

- **the alive bonus in expectation** (`alive_terms`): the last move's alive bonus times
  the refill's odds of leaving a move, the first of the hand-made afterstate terms;
- **a plan's score under the hand-made value** (`hand_scores`): its reward, plus, if it
  places every shape, that term and its end board's hand-made value, added left to
  right (the order `search.turn_search.score_plans` adds any value's terms in), and the
  value's estimate of the end board (the two terms' sum; NaN where the plan ends the
  game);
- **the tie rule** (`tied_rows`): among some plans, those within `TIE_TOLERANCE` of the
  best score, one per distinct first move (the first plan found with it), in order of
  that move. The caller draws one with the position's generator
  (`search.turn_search.draw_tied`: what `rng.choice` over their number draws, nothing
  drawn when there is one), which keeps the generator in Python and its stream the
  same.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .compile import compiled, inlined

TIE_TOLERANCE = 1e-9
"""Plans whose scores differ by less are equally good; the generator picks among them."""


@inlined
def _alive_term(alive_odds: float, reward_per_alive: float) -> float:
    return reward_per_alive * alive_odds


@compiled
def alive_terms(alive_odds: NDArray[np.float64], reward_per_alive: float) -> NDArray[np.float64]:
    """[K] the last move's alive bonus in expectation over the refill, of boards whose
    refill alive odds are `alive_odds`."""
    terms = np.empty(alive_odds.shape[0], np.float64)
    for board in range(alive_odds.shape[0]):
        terms[board] = _alive_term(alive_odds[board], reward_per_alive)
    return terms


@compiled
def hand_scores(
    reward: NDArray[np.float64],
    completes: NDArray[np.bool_],
    end_value: NDArray[np.float64],
    end_alive: NDArray[np.float64],
    reward_per_alive: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """([K] each plan's score under the hand-made value, [K] that value's estimate of its
    end board, NaN where it does not complete), from the plans' rewards and their end
    boards' hand-made values and refill alive odds (see the module docstring)."""
    count = reward.shape[0]
    score = np.empty(count, np.float64)
    estimate = np.full(count, np.nan)
    for plan in range(count):
        if completes[plan]:
            alive = _alive_term(end_alive[plan], reward_per_alive)
            score[plan] = reward[plan] + alive + end_value[plan]
            estimate[plan] = alive + end_value[plan]
        else:
            score[plan] = reward[plan]
    return score, estimate


@inlined
def _tied(
    rows: NDArray[np.int64],
    score: NDArray[np.float64],
    first_action: NDArray[np.int64],
    out: NDArray[np.int64],
    at: int,
) -> int:
    """Append to `out` (from `at` on) the tie rule's plans among `rows` (see the module
    docstring); return the new end."""
    best = score[rows[0]]
    for row in rows:
        best = max(best, score[row])
    floor = best - TIE_TOLERANCE
    start = at
    for row in rows:
        if not score[row] >= floor:  # as numpy's `>=` mask, which a NaN fails
            continue
        action = first_action[row]
        seen = False
        for index in range(start, at):
            if first_action[out[index]] == action:
                seen = True
                break
        if seen:
            continue
        place = at  # insertion in order of first move (each move once)
        while place > start and first_action[out[place - 1]] > action:
            out[place] = out[place - 1]
            place -= 1
        out[place] = row
        at += 1
    return at


@compiled
def tied_rows(score: NDArray[np.float64], first_action: NDArray[np.int64]) -> NDArray[np.int64]:
    """Which of some plans (`score`, `first_action` [K], K at least 1) the tie rule leaves,
    as indices, in order of first move."""
    out = np.empty(score.shape[0], np.int64)
    return out[: _tied(np.arange(score.shape[0]), score, first_action, out, 0)]


@compiled
def tied_plans(
    root: NDArray[np.int64],
    completes: NDArray[np.bool_],
    score: NDArray[np.float64],
    first_action: NDArray[np.int64],
    roots: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """For each of `roots` positions whose plans (grouped by `root`, ascending) all have a
    score: the tie rule's plans among its complete plans, or among all of them if none
    completes (the game ends this turn either way). Returns ([roots + 1] where each
    position's rows start, the rows, [roots] each position's number of plans)."""
    count = root.shape[0]
    start = np.zeros(roots + 1, np.int64)
    plans = np.zeros(roots, np.int64)
    out = np.empty(count, np.int64)
    at = 0
    first = 0
    for position in range(roots):
        end = first
        while end < count and root[end] == position:
            end += 1
        own = np.arange(first, end)
        complete = own[completes[first:end]]
        if end > first:
            at = _tied(complete if complete.shape[0] else own, score, first_action, out, at)
        start[position + 1] = at
        plans[position] = end - first
        first = end
    return start, out[:at], plans
