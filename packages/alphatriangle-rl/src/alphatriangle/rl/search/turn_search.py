"""The turn search: plan every shape in the slots, value the board each plan leaves, move.

A function of B positions, a value and one generator per position: the real games
belong to whoever calls it (self-play, evaluation, the planner). For each position it

1. grows every plan of the turn (`turn_plans.grow_plans`: every order, line clears in
   between, merged and beam-pruned by the hand-made board value);
2. scores each plan that places every shape by its reward plus the `AfterstateValue`
   of the board it ends on. A value that calls the network values only the
   `candidates` best plans of each position by the hand-made score, all positions'
   boards in one batch; a plan that ends the game on the way is worth its reward;
3. plays the first move of the best plan: plans that complete the turn rank above
   those that do not; ties (within `TIE_TOLERANCE`) go to the position's generator,
   over the distinct first moves. With `temperature` > 0 the plan is drawn instead,
   with probability proportional to exp(score / temperature) among the completing
   plans: exploration for self-play.

Mid-turn positions (shapes still in the slots) are searched exactly the same way, with
the shapes they hold: nothing is sampled until a refill. Without a `RefillPly` a refill
is never looked at; with one, the best plans are followed past it, over refills drawn
from the search's own generator (`refill_ply.py`). The search replans every move; the
planner is this search with `HandValue`, the `expectimax` baseline the same with a
refill ply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..game import GameArrays, GameTables
from ..kernel import TIE_TOLERANCE, plan_hand_scores, tied_among, tied_choices
from .afterstate_value import AfterstateValue, HandValue, PlanEnds, bounded_corrections
from .refill_ply import RefillPly, draw_deals, expected_after_refill, refill_candidates
from .turn_plans import DEFAULT_BEAM_WIDTH, TurnPlans, grow_plans

__all__ = [
    "TIE_TOLERANCE",
    "ScoredPlans",
    "TurnDecision",
    "best_plan_scores",
    "bounded_corrections",
    "choose_index",
    "draw_tied",
    "score_plans",
    "search_turns",
]

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ScoredPlans:
    """The plans of B positions with their scores (see `score_plans`)."""

    plans: TurnPlans
    score: NDArray[np.float64]  # [K] reward, plus the end board's value if the plan completes
    afterstate_value: NDArray[np.float64]  # [K] the value's estimate of the end board; NaN
    # if the plan does not complete
    afterstates_valued: NDArray[np.int64]  # [B] afterstates the network valued for each position


@dataclass(frozen=True, slots=True)
class TurnDecision:
    """What the turn search chose for B positions."""

    action: NDArray[np.int64]  # [B] the first move of the chosen plan
    score: NDArray[np.float64]  # [B] the chosen plan's score
    afterstate_value: NDArray[np.float64]  # [B] the value's estimate of its end board (NaN:
    # the game ends)
    completes: NDArray[np.bool_]  # [B] the chosen plan places every shape
    end_occupied: NDArray[np.uint64]  # [B, words] the board the chosen plan ends on
    plans: NDArray[np.int64]  # [B] plans found from each position
    afterstates_valued: NDArray[np.int64]  # [B] afterstates the network valued for each position
    refill_boards: NDArray[np.uint64]
    """[M, words] the end boards of the complete plans the ply past the refill valued
    (none without a ply): value targets measured by search."""
    refill_values: NDArray[np.float64]
    """[M] each one's value past the refill: the mean over the deals of the alive bonus and
    the best next plan's score (in the value's units)."""
    refill_root: NDArray[np.int64]
    """[M] the position each belongs to."""


def score_plans(
    tables: GameTables,
    roots: GameArrays,
    value: AfterstateValue,
    *,
    beam_width: int = DEFAULT_BEAM_WIDTH,
    candidates: int | None = None,
) -> ScoredPlans:
    """Grow the plans of the B `roots` and score them (see the module docstring); the
    value's hand-made weights prune partial plans and pick the candidates."""
    weights = value.hand_weights
    plans = grow_plans(tables, roots, weights=weights, beam_width=beam_width)
    if isinstance(value, HandValue):  # the kernel counted every term as the plans grew
        score, afterstate = plan_hand_scores(
            tables, plans.reward, plans.completes, plans.end_hand_value, plans.end_alive_odds
        )
        return ScoredPlans(plans, score, afterstate, np.zeros(len(roots), np.int64))
    if value.uses_network and candidates is not None:
        plans = plans.take(_best_candidates(tables, plans, candidates))
    done = np.flatnonzero(plans.completes)
    score = plans.reward.copy()
    afterstate = np.full(len(plans), np.nan)
    if done.size:
        ends = PlanEnds(
            plans.end_occupied[done],
            plans.reward[done],
            plans.root[done],
            plans.end_hand_value[done],  # counted with the value's own hand weights
            plans.end_alive_odds[done],
        )
        valued = value.value_boards(tables, ends)
        total = score[done]
        for term in valued.terms:
            total = total + term
        score[done] = total
        afterstate[done] = valued.estimate
    return ScoredPlans(
        plans=plans,
        score=score,
        afterstate_value=afterstate,
        afterstates_valued=(
            np.bincount(plans.root[done], minlength=len(roots)).astype(np.int64)
            if value.uses_network
            else np.zeros(len(roots), np.int64)
        ),
    )


def search_turns(
    tables: GameTables,
    roots: GameArrays,
    value: AfterstateValue,
    rngs: Sequence[np.random.Generator],
    *,
    beam_width: int = DEFAULT_BEAM_WIDTH,
    candidates: int | None = None,
    temperature: float = 0.0,
    refill: RefillPly | None = None,
) -> TurnDecision:
    """Choose a move for each of the B `roots`, each position's ties broken by its own
    generator in `rngs` (so a game's moves never depend on the others in the batch), and,
    with `refill`, its refills drawn from a child of it."""
    count = len(roots)
    if len(rngs) != count:
        raise ValueError(f"search_turns needs one generator per position: {len(rngs)} for {count}")
    if temperature < 0:
        raise ValueError(f"temperature must be at least 0, got {temperature}")
    scored = score_plans(tables, roots, value, beam_width=beam_width, candidates=candidates)
    plans = scored.plans
    if temperature > 0:
        found = np.bincount(plans.root, minlength=count).astype(np.int64)
        bounds = np.searchsorted(plans.root, np.arange(count + 1))
        picks = np.array(
            [
                _choose(
                    plans, scored.score, np.arange(bounds[r], bounds[r + 1]), rngs[r], temperature
                )
                for r in range(count)
            ],
            np.intp,
        )
    else:  # each position's ties found in one compiled pass, drawn by its own generator
        start, tied, found = tied_choices(
            plans.root, plans.completes, scored.score, plans.first_action, count
        )
        picks = np.array(
            [draw_tied(tied[start[r] : start[r + 1]], rngs[r]) for r in range(count)], np.intp
        )
    score, afterstate = scored.score[picks], scored.afterstate_value[picks]
    afterstates_valued = scored.afterstates_valued
    refill_boards = np.zeros((0, tables.words), np.uint64)
    refill_values = np.zeros(0, np.float64)
    refill_root = np.zeros(0, np.int64)
    if refill is not None and count:

        def next_turn_scores(positions: GameArrays) -> tuple[Floats, NDArray[np.int64]]:
            ahead = score_plans(
                tables, positions, value, beam_width=beam_width, candidates=candidates
            )
            best = best_plan_scores(ahead, len(positions))
            return best, ahead.afterstates_valued

        row, root = refill_candidates(plans, scored.score, picks, refill.candidates)
        expected, valued = expected_after_refill(
            tables,
            plans,
            row,
            root,
            draw_deals(tables, rngs, refill.deals),
            next_turn_scores,
            value.game_over_value(scored.score[row] - plans.reward[row]),
        )
        afterstates_valued = afterstates_valued + valued
        followed = plans.completes[row]
        refill_boards = plans.end_occupied[row[followed]]
        refill_values, refill_root = expected[followed], root[followed]
        worth = plans.reward[row] + expected
        for r in range(count):
            mine = np.flatnonzero(root == r)
            if not plans.completes[row[mine[0]]]:
                continue  # the one-ply pick ends the game this turn: nothing lies past a refill
            best = mine[
                choose_index(worth[mine], plans.first_action[row[mine]], rngs[r], temperature)
                if mine.size > 1
                else 0
            ]
            picks[r], score[r], afterstate[r] = row[best], worth[best], expected[best]
    return TurnDecision(
        action=plans.first_action[picks],
        score=score,
        afterstate_value=afterstate,
        completes=plans.completes[picks],
        end_occupied=plans.end_occupied[picks],
        plans=found,
        afterstates_valued=afterstates_valued,
        refill_boards=refill_boards,
        refill_values=refill_values,
        refill_root=refill_root,
    )


def best_plan_scores(scored: ScoredPlans, count: int) -> Floats:
    """[B] the score of the best complete plan of each of the `count` positions, the plan
    the search would play at temperature 0; NaN where no plan places every shape (the
    game ends in that turn: the points before the end are not in the units of a value,
    so the caller prices the end itself)."""
    ranked = np.where(scored.plans.completes, scored.score, -np.inf)
    best = np.full(count, -np.inf)
    np.maximum.at(best, scored.plans.root, ranked)
    best[np.isneginf(best)] = np.nan
    return best


def _choose(
    plans: TurnPlans,
    score: NDArray[np.float64],
    rows: NDArray[np.int64],
    rng: np.random.Generator,
    temperature: float,
) -> int:
    """The row of the plan one position plays (see the module docstring)."""
    completing = plans.completes[rows]
    candidates = rows[completing] if completing.any() else rows
    index = choose_index(
        score[candidates],
        plans.first_action[candidates],
        rng,
        temperature if completing.any() else 0.0,
    )
    return int(candidates[index])


def choose_index(
    values: NDArray[np.float64],
    first_action: NDArray[np.int64],
    rng: np.random.Generator,
    temperature: float,
) -> int:
    """Which of some plans to play: drawn with odds exp(value / temperature), or at
    temperature 0 the best, ties (within `TIE_TOLERANCE`) going to `rng` over the distinct
    first moves (`kernel.choice`, the tie rule, and `draw_tied`). The one rule by which
    the turn search picks a plan."""
    if temperature > 0:
        odds = np.exp((values - values.max()) / temperature)
        return int(rng.choice(values.size, p=odds / odds.sum()))
    return draw_tied(tied_among(values, first_action), rng)


def draw_tied(tied: NDArray[np.int64], rng: np.random.Generator) -> int:
    """One of the plans the tie rule left (`tied`, in order of first move), drawn by `rng`:
    `rng.choice` over their number, and nothing drawn when there is one (`rng.choice(1)`
    would draw nothing either, so the generator's stream is the same). The draw is
    written `rng.integers(n)`, which is what numpy's `Generator.choice(n)` draws, without
    its checks of an array argument (3 us against 20; `test_turn_kernel` holds the two
    to the same numbers)."""
    if tied.size == 1:
        return int(tied[0])
    return int(tied[int(rng.integers(tied.size))])


def _best_candidates(tables: GameTables, plans: TurnPlans, candidates: int) -> NDArray[np.intp]:
    """Every plan that ends the game on the way, and each root's `candidates` completing plans
    with the best hand-made score (reward plus `HandValue`), in their original order."""
    done = np.flatnonzero(plans.completes)
    if done.size == 0:
        return np.arange(len(plans))
    score, _ = plan_hand_scores(
        tables, plans.reward, plans.completes, plans.end_hand_value, plans.end_alive_odds
    )  # `HandValue`'s scores, counted by the kernel with the weights the plans grew by
    hand = score[done]
    order = np.lexsort((-hand, plans.root[done]))
    sorted_root = plans.root[done][order]
    rank = np.arange(order.size) - np.searchsorted(sorted_root, sorted_root, side="left")
    keep = np.zeros(len(plans), np.bool_)
    keep[~plans.completes] = True
    keep[done[order[rank < candidates]]] = True
    kept: NDArray[np.intp] = np.flatnonzero(keep)
    return kept
