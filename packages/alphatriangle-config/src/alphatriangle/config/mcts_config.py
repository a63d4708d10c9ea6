"""Settings of AlphaTriangle's searches: the turn search and the batched tree searches.

The tree searches' names follow trimcts' `SearchConfiguration` where the concept is the
same (`max_simulations`, `max_depth`, `cpuct`, `dirichlet_alpha`, `dirichlet_epsilon`,
`discount`, `mcts_batch_size`), so the original project's vocabulary still fits; the
turn search's fields start with `turn_`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import StrictConfig


class AlphaTriangleMCTSConfig(StrictConfig):
    """Search settings: the turn search (default) and the tree searches (PUCT, Gumbel)."""

    algorithm: Literal["turn", "puct", "gumbel"] = "turn"
    """The search: "turn" (every plan of the turn, valued by what the board it leaves is
    worth), or a tree search: "puct" (AlphaZero) or "gumbel" (Gumbel AlphaZero)."""
    turn_value: Literal["hand", "network", "hand+network"] = "hand+network"
    """Turn search: the value of the board a plan ends on: the planner's hand-made value, the
    network alone, or the hand-made value corrected by the network (which learns the rest)."""
    turn_correction_bound: float | None = Field(default=3.0, gt=0.0)
    """Turn search, "hand+network": the most points the network's correction may move a plan
    against the plan the hand-made score ranks first in its position (None: no bound). On
    tuning seeds a 14-minute network scored 224 with 3, 198 with 10 and 204 unbounded."""
    turn_beam_width: int = Field(default=100, ge=1, le=100_000)
    """Turn search: partial plans kept per position at each placement (by the hand-made value)."""
    turn_candidates: int | None = Field(default=32, ge=1)
    """Turn search: complete plans per position that the network values, the best by the
    hand-made score (None: every plan)."""
    turn_temperature: float = Field(default=0.0, ge=0.0)
    """Turn search, self-play only: draw the plan with odds exp(score / temperature), in points
    of score (0: the best plan)."""
    max_simulations: int = Field(default=16, ge=1, le=100_000)
    """Tree searches: simulations (network evaluations) per move."""
    max_depth: int = Field(default=64, ge=1)
    """A simulation stops walking down after this many edges."""
    cpuct: float = Field(default=1.25, gt=0.0)
    """Exploration constant of the PUCT rule (PUCT only; Gumbel ignores it)."""
    dirichlet_alpha: float = Field(default=0.3, gt=0.0)
    """Concentration of the Dirichlet noise mixed into the root priors (PUCT only; Gumbel's
    root noise is `gumbel_scale`)."""
    dirichlet_epsilon: float = Field(default=0.25, ge=0.0, le=1.0)
    """Weight of that noise, 0 disables it (PUCT only; Gumbel ignores it)."""
    discount: float = Field(default=0.99, gt=0.0, le=1.0)
    """Per-move discount of rewards inside the tree and in value targets."""
    mcts_batch_size: int = Field(default=256, ge=1)
    """Most leaves sent to the network in one call; larger rounds are split."""
    refill_draws: Literal["per_child", "per_parent"] = "per_child"
    """How a simulated move that empties the slots gets new shapes (always from the search's
    own generator, never the game's): drawn afresh for each child ("per_child"), or drawn once
    per node and shared by all its children ("per_parent"), so siblings are compared under
    the same shapes."""
    reuse_tree: bool = True
    """Keep the chosen child's subtree for the next move: fewer new simulations per move
    (PUCT only; Gumbel always starts a move from the played child's evaluation alone)."""
    temperature: float = Field(default=1.0, ge=0.0)
    """Visit-count temperature for choosing self-play moves, 0 is greedy (PUCT only; Gumbel
    plays the best of its sequential halving, its exploration is `gumbel_scale`)."""
    temperature_moves: int = Field(default=30, ge=0)
    """Self-play moves played with `temperature`; later moves are greedy (PUCT only)."""
    gumbel_max_considered_actions: int = Field(default=16, ge=1)
    """Actions sampled at the root by Gumbel-top-k and halved sequentially (Gumbel only)."""
    gumbel_scale: float = Field(default=1.0, ge=0.0)
    """Scale of the Gumbel noise at the root, 0 is deterministic as in evaluation (Gumbel
    only)."""
    gumbel_c_visit: float = Field(default=50.0, gt=0.0)
    """c_visit of the sigma transform of completed Q-values (Gumbel only)."""
    gumbel_c_scale: float = Field(default=1.0, gt=0.0)
    """c_scale of the sigma transform of completed Q-values (Gumbel only)."""
