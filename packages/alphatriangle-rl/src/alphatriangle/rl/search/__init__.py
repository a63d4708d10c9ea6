"""Batched array-based tree search: PUCT and Gumbel AlphaZero over many games at once."""

from .batched_search import BatchedSearch, Evaluator, SearchResult, SearchStats, Transition
from .gumbel import considered_visit_sequence
from .tree import NO_PARENT, ROOT_INDEX, UNVISITED, Tree

__all__ = [
    "NO_PARENT",
    "ROOT_INDEX",
    "UNVISITED",
    "BatchedSearch",
    "Evaluator",
    "SearchResult",
    "SearchStats",
    "Transition",
    "Tree",
    "considered_visit_sequence",
]
