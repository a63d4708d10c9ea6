"""Batched array-based tree search: PUCT and Gumbel AlphaZero over many games at once."""

from .batched_search import BatchedSearch, Evaluator, SearchResult, SearchStats, Transition
from .gumbel import GumbelRule, considered_visit_sequence
from .puct import PuctRule
from .root_rule import RootRule, root_rule_for
from .tree import NO_PARENT, ROOT_INDEX, UNVISITED, Tree

__all__ = [
    "NO_PARENT",
    "ROOT_INDEX",
    "UNVISITED",
    "BatchedSearch",
    "Evaluator",
    "GumbelRule",
    "PuctRule",
    "RootRule",
    "SearchResult",
    "SearchStats",
    "Transition",
    "Tree",
    "considered_visit_sequence",
    "root_rule_for",
]
