"""The values of the turn search through their one protocol: each kind's terms, its own
estimate (what self-play records) and the baseline its targets subtract."""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig
from alphatriangle.nn import BatchEvaluation, Positions
from alphatriangle.rl.game import GameTables, encode_states
from alphatriangle.rl.search import (
    HandValue,
    PlanEnds,
    afterstate_value_for,
    score_plans,
)

CORRECTION = 2.5
"""What the constant network below adds to every board."""


class ConstantEvaluator:
    """A network whose value is `CORRECTION` for every position."""

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        legal = positions.legal
        return BatchEvaluation(
            policy=np.zeros(legal.shape, np.float32),
            value=np.full(len(positions), CORRECTION, np.float32),
            legal_mask=legal,
        )


def plan_ends(tables: GameTables) -> PlanEnds:
    """The end boards of the completing plans of two opening positions."""
    env = EnvConfig()
    roots = encode_states(tables, [GameState(env, initial_seed=s) for s in (1, 2)])
    plans = score_plans(tables, roots, HandValue(), beam_width=20).plans
    done = plans.completes
    return PlanEnds(plans.end_occupied[done], plans.reward[done], plans.root[done])


@pytest.mark.parametrize(
    ("kind", "learned", "baseline_is_hand"),
    [("hand", 0.0, True), ("network", CORRECTION, False), ("hand+network", CORRECTION, True)],
)
@pytest.mark.parametrize("bound", [None, 1.0])
def test_each_value_kind_subtracts_exactly_the_part_it_does_not_learn(
    kind: str, learned: float, baseline_is_hand: bool, bound: float | None
) -> None:
    tables = GameTables.for_env(EnvConfig())
    ends = plan_ends(tables)
    value = afterstate_value_for(kind, ConstantEvaluator(), correction_bound=bound)  # type: ignore[arg-type]
    valued = value.value_boards(tables, ends)
    hand = np.sum(HandValue().terms(tables, ends.occupied), axis=0)
    baseline = value.baseline(tables, ends.occupied)
    np.testing.assert_array_equal(baseline, hand if baseline_is_hand else 0.0)
    # The target a board gets is its return minus the baseline: what the network learns.
    np.testing.assert_allclose(valued.estimate - baseline, learned, atol=1e-12)
    assert len(valued.terms[0]) == len(ends.occupied)


def test_the_bound_shapes_the_score_not_the_estimate_self_play_records() -> None:
    """With a bound, each plan's score counts the correction against its position's
    favourite (the same constant: 0); the board's estimate keeps the network's own 2.5."""
    tables = GameTables.for_env(EnvConfig())
    ends = plan_ends(tables)
    value = afterstate_value_for("hand+network", ConstantEvaluator(), correction_bound=1.0)  # type: ignore[arg-type]
    valued = value.value_boards(tables, ends)
    hand = np.sum(HandValue().terms(tables, ends.occupied), axis=0)
    np.testing.assert_allclose(np.sum(valued.terms, axis=0), hand, atol=1e-12)
    np.testing.assert_allclose(valued.estimate, hand + CORRECTION, atol=1e-12)


def test_the_hand_weights_live_in_the_value_and_steer_the_search() -> None:
    """The search prunes and picks candidates by the value's own weights: no second copy."""
    tables = GameTables.for_env(EnvConfig())
    roots = encode_states(tables, [GameState(EnvConfig(), initial_seed=3)])
    weights = HandValue().hand_weights
    flat = HandValue(type(weights)(placements=0.0, refill_risk=0.0, isolated=0.0))
    assert flat.hand_weights != weights
    pruned = score_plans(tables, roots, HandValue(), beam_width=5)
    flat_pruned = score_plans(tables, roots, flat, beam_width=5)
    assert not np.array_equal(pruned.plans.end_occupied, flat_pruned.plans.end_occupied)
