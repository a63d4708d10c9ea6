"""Gumbel AlphaZero root search (Danihelka et al., "Policy improvement by planning
with Gumbel", ICLR 2022).

At the root: sample Gumbel noise g(a), keep the top-m actions by g(a) + logits(a)
(Gumbel-top-k), and split the simulation budget among them by sequential halving,
always visiting the considered action with the fewest visits that maximises
g(a) + logits(a) + sigma(q(a)). The action played is the survivor with the best
such score; the policy target is softmax(logits + sigma(completed_q)), an improved
policy even when few actions were visited. Below the root, the deterministic rule
argmax_a pi'(a) - N(a) / (1 + sum N) keeps visits in proportion to pi'.

    sigma(q) = (c_visit + max_b N(b)) * c_scale * q      (q normalised to [0, 1])

`GumbelRule` is this as a `RootRule`: every move runs the full budget from a root
that keeps only its network evaluation (sequential halving needs a fresh root).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import GumbelConfig

from .game_generators import GameGenerators
from .qtransform import ChildStats
from .tree import ROOT_INDEX, Tree


@cache
def considered_visit_sequence(num_considered: int, num_simulations: int) -> tuple[int, ...]:
    """For simulation i, the visit count the root's chosen action must have (sequential halving).

    Each phase gives every remaining action the same number of extra visits; the
    number of remaining actions halves from phase to phase (never below 2).
    """
    if num_considered <= 1:
        return tuple(range(num_simulations))
    phases = math.ceil(math.log2(num_considered))
    sequence: list[int] = []
    visits = [0] * num_considered
    remaining = num_considered
    while len(sequence) < num_simulations:
        extra = max(1, num_simulations // (phases * remaining))
        for _ in range(extra):
            sequence.extend(visits[:remaining])
            for i in range(remaining):
                visits[i] += 1
        remaining = max(2, remaining // 2)
    return tuple(sequence[:num_simulations])


def sigma(
    q_normalised: NDArray[np.float32],
    visits: NDArray[np.int32],
    *,
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float32]:
    """[B, A] monotone transform of normalised Q-values that grows with the visit budget."""
    max_visits = visits.max(axis=1, keepdims=True).astype(np.float32)
    scaled: NDArray[np.float32] = (c_visit + max_visits) * c_scale * q_normalised
    return scaled


def masked_log(prior: NDArray[np.float32], legal: NDArray[np.bool_]) -> NDArray[np.float32]:
    """log prior on legal actions, -inf elsewhere (a prior of 0 on a legal move is floored)."""
    return np.where(legal, np.log(np.maximum(prior, 1e-30)), -np.inf)


def _sigma_of_completed_q(stats: ChildStats, c_visit: float, c_scale: float) -> NDArray[np.float32]:
    return sigma(
        stats.normalise(stats.completed_q()), stats.visits, c_visit=c_visit, c_scale=c_scale
    )


def improved_policy(stats: ChildStats, *, c_visit: float, c_scale: float) -> NDArray[np.float32]:
    """[B, A] softmax(logits + sigma(completed_q)): the policy target, 0 on illegal actions."""
    scores = masked_log(stats.prior, stats.legal) + _sigma_of_completed_q(stats, c_visit, c_scale)
    best = scores.max(axis=1, keepdims=True)  # illegal actions score -inf
    weights = np.exp(scores - np.where(np.isfinite(best), best, 0.0))
    policy: NDArray[np.float32] = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-30)
    return policy


def interior_scores(stats: ChildStats, *, c_visit: float, c_scale: float) -> NDArray[np.float32]:
    """[B, A] pi'(a) - N(a) / (1 + sum N): the deterministic non-root selection rule."""
    policy = improved_policy(stats, c_visit=c_visit, c_scale=c_scale)
    visits = stats.visits.astype(np.float32)
    total = visits.sum(axis=1, keepdims=True)
    scores: NDArray[np.float32] = np.where(stats.legal, policy - visits / (1.0 + total), -np.inf)
    return scores


def root_scores(
    stats: ChildStats,
    *,
    gumbel_plus_logits: NDArray[np.float32],
    considered: NDArray[np.bool_],
    required_visits: NDArray[np.int64],
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float32]:
    """[B, A] score of each considered root action whose visits equal the phase's count."""
    score = gumbel_plus_logits + _sigma_of_completed_q(stats, c_visit, c_scale)
    eligible = considered & (stats.visits == required_visits[:, None])
    # Should rounding leave no action at the required count, fall back to all considered.
    eligible = np.where(eligible.any(axis=1, keepdims=True), eligible, considered)
    scores: NDArray[np.float32] = np.where(eligible, score, -np.inf)
    return scores


def final_scores(
    stats: ChildStats,
    *,
    gumbel_plus_logits: NDArray[np.float32],
    considered: NDArray[np.bool_],
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float32]:
    """[B, A] score of the most-visited considered actions; the argmax is the move to play."""
    most_visits = np.max(np.where(considered, stats.visits, -1), axis=1).astype(np.int64)
    return root_scores(
        stats,
        gumbel_plus_logits=gumbel_plus_logits,
        considered=considered,
        required_visits=most_visits,
        c_visit=c_visit,
        c_scale=c_scale,
    )


@dataclass(slots=True)
class _RootSamples:
    """What `prepare` drew for one call's roots, kept until `decide`."""

    gumbel_plus_logits: NDArray[np.float32]  # [B, A] g(a) + logits(a), -inf if illegal
    considered: NDArray[np.bool_]  # [B, A] the Gumbel-top-k actions
    visit_schedule: NDArray[np.int64]  # [B, max_simulations] sequential-halving counts


class GumbelRule:
    """Gumbel AlphaZero: Gumbel-top-k and sequential halving at the root, pi' below it."""

    keeps_subtree = False

    def __init__(self, config: GumbelConfig, generators: GameGenerators) -> None:
        self.config = config
        self.generators = generators
        self.scale = {"c_visit": config.gumbel_c_visit, "c_scale": config.gumbel_c_scale}
        self._roots: _RootSamples | None = None

    def simulation_budget(self, tree: Tree, games: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.full(games.size, self.config.max_simulations, np.int64)

    def prepare(self, tree: Tree, games: NDArray[np.int64], *, add_noise: bool) -> None:
        b, a = tree.batch_size, tree.children_prior.shape[2]
        legal = tree.children_legal[:, ROOT_INDEX]
        logits = masked_log(tree.children_prior[:, ROOT_INDEX], legal)
        scale = self.config.gumbel_scale if add_noise else 0.0
        noise = np.zeros((b, a), np.float32)
        if scale > 0:
            for game in games:  # each game's noise from its own generator
                noise[game] = self.generators[game].gumbel(size=a) * scale
        gumbel_plus_logits = np.where(legal, noise + logits, -np.inf)
        num_considered = np.minimum(self.config.gumbel_max_considered_actions, legal.sum(axis=1))
        ranks = np.argsort(np.argsort(-gumbel_plus_logits, axis=1, kind="stable"), axis=1)
        considered = legal & (ranks < num_considered[:, None])
        schedule = np.zeros((b, self.config.max_simulations), np.int64)
        for g in games:
            schedule[g] = considered_visit_sequence(
                int(num_considered[g]), self.config.max_simulations
            )
        self._roots = _RootSamples(gumbel_plus_logits, considered, schedule)

    def _samples(self) -> _RootSamples:
        if self._roots is None:
            raise RuntimeError("GumbelRule.prepare must run before select and decide")
        return self._roots

    def select(
        self, tree: Tree, games: NDArray[np.int64], nodes: NDArray[np.int64], simulation: int
    ) -> NDArray[np.int64]:
        roots = self._samples()
        stats = tree.child_stats(games, nodes)
        at_root = nodes == ROOT_INDEX
        scores = np.empty(stats.prior.shape, np.float32)
        if at_root.any():
            root_games = games[at_root]
            scores[at_root] = root_scores(
                stats.rows(at_root),
                gumbel_plus_logits=roots.gumbel_plus_logits[root_games],
                considered=roots.considered[root_games],
                required_visits=roots.visit_schedule[root_games, simulation],
                **self.scale,
            )
        inner = ~at_root
        if inner.any():
            scores[inner] = interior_scores(stats.rows(inner), **self.scale)
        chosen: NDArray[np.int64] = np.argmax(scores, axis=1).astype(np.int64)
        return chosen

    def decide(
        self,
        tree: Tree,
        games: NDArray[np.int64],
        *,
        temperature: NDArray[np.float64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        roots = self._samples()
        stats = tree.child_stats(games, np.full_like(games, ROOT_INDEX))
        final = final_scores(
            stats,
            gumbel_plus_logits=roots.gumbel_plus_logits[games],
            considered=roots.considered[games],
            **self.scale,
        )
        actions: NDArray[np.int64] = np.argmax(final, axis=1).astype(np.int64)
        policy = improved_policy(stats, **self.scale).astype(np.float32)
        return actions, policy
