"""The searches, each a function of positions: batched tree search (PUCT, Gumbel AlphaZero)
and the turn search over plans. None of them sees a real game."""

from .afterstate_value import (
    AfterstateValue,
    BoardPointsValue,
    BoardValueSource,
    FixedCoefficients,
    HandPlusNetworkValue,
    HandValue,
    NetworkValue,
    PlanEnds,
    TurnValueKind,
    ValuedBoards,
    afterstate_value_for,
    afterstate_value_of,
    network_afterstate_values,
)
from .batched_search import BatchedSearch, Evaluator, SearchStats, TreeDecision
from .board_inputs import board_inputs, board_points
from .gumbel import GumbelRule, considered_visit_sequence
from .hand_value import DEFAULT_HAND_WEIGHTS, BoardValue, HandWeights, board_value
from .puct import PuctRule
from .refill_ply import RefillPly, refill_ply_for
from .root_rule import RootRule, root_rule_for
from .tree import NO_PARENT, ROOT_INDEX, UNVISITED, Tree
from .tree_slots import TreeSlots
from .turn_plans import DEFAULT_BEAM_WIDTH, TurnPlans, grow_plans
from .turn_search import (
    TIE_TOLERANCE,
    ScoredPlans,
    TurnDecision,
    bounded_corrections,
    score_plans,
    search_turns,
)

__all__ = [
    "DEFAULT_BEAM_WIDTH",
    "DEFAULT_HAND_WEIGHTS",
    "NO_PARENT",
    "ROOT_INDEX",
    "TIE_TOLERANCE",
    "UNVISITED",
    "AfterstateValue",
    "BatchedSearch",
    "BoardPointsValue",
    "BoardValue",
    "BoardValueSource",
    "Evaluator",
    "FixedCoefficients",
    "GumbelRule",
    "HandPlusNetworkValue",
    "HandValue",
    "HandWeights",
    "NetworkValue",
    "PlanEnds",
    "PuctRule",
    "RefillPly",
    "RootRule",
    "ScoredPlans",
    "SearchStats",
    "Tree",
    "TreeDecision",
    "TreeSlots",
    "TurnDecision",
    "TurnPlans",
    "TurnValueKind",
    "ValuedBoards",
    "afterstate_value_for",
    "afterstate_value_of",
    "board_inputs",
    "board_points",
    "board_value",
    "bounded_corrections",
    "considered_visit_sequence",
    "grow_plans",
    "network_afterstate_values",
    "refill_ply_for",
    "root_rule_for",
    "score_plans",
    "search_turns",
]
