"""Settings of AlphaTriangle's searches: one class per search, tagged by `algorithm`.

A field acts wherever it can be set: the turn search's class holds only the turn
search's fields (`turn_*`), the tree searches' classes only theirs, with the PUCT-only
fields in `PuctConfig` and the Gumbel-only fields in `GumbelConfig`. The union
(`AlphaTriangleMCTSConfig`, also `SearchConfig`) is a pydantic discriminated union on
`algorithm`; `search_config` builds one from the `[mcts]` table's values (a missing
`algorithm` is the default, "turn"), and a field of another search is refused with a
message naming it and the search it belongs to.

`convert_search_config` reads settings written before the searches had a class each
(a flat table of every search's fields: an older run's `run_state.json`, an older
checkpoint): it drops the fields that do not act in the chosen search and says which.

The tree searches' names follow trimcts' `SearchConfiguration` where the concept is the
same (`max_simulations`, `max_depth`, `cpuct`, `dirichlet_alpha`, `dirichlet_epsilon`,
`discount`, `mcts_batch_size`), so the original project's vocabulary still fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, TypeAdapter, model_validator

from ._base import StrictConfig

Algorithm = Literal["turn", "puct", "gumbel"]
DEFAULT_ALGORITHM: Algorithm = "turn"
"""The search a `[mcts]` table without `algorithm` configures."""
TREE_ALGORITHMS: tuple[Algorithm, ...] = ("puct", "gumbel")


class _SearchSettings(StrictConfig):
    """A search's settings: a field of another search is an error that names it."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_other_searches_fields(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            algorithm = cls.model_fields["algorithm"].default
            foreign = [k for k in data if k not in cls.model_fields and k in _OWNERS]
            if foreign:
                raise ValueError(_foreign_message(foreign, algorithm))
        return data


class TurnSearchConfig(_SearchSettings):
    """The turn search: every plan of the turn, valued by what the board it leaves is worth."""

    algorithm: Literal["turn"] = "turn"
    """The search: "turn" (this class), "puct" (AlphaZero) or "gumbel" (Gumbel AlphaZero)."""
    turn_value: Literal["hand", "network", "hand+network", "board"] = "board"
    """The value of the board a plan ends on: the planner's hand-made value, the network
    alone, the hand-made value corrected by the network (which learns the rest), or the
    board value: points still to come, linear in board features, learned beside the
    network and started at the planner's value."""
    turn_correction_bound: float | None = Field(default=3.0, gt=0.0)
    """"hand+network": the most points the network's correction may move a plan against the
    plan the hand-made score ranks first in its position (None: no bound). On tuning seeds
    a 14-minute network scored 224 with 3, 198 with 10 and 204 unbounded."""
    turn_beam_width: int = Field(default=100, ge=1, le=100_000)
    """Partial plans kept per position at each placement (by the hand-made value)."""
    turn_candidates: int | None = Field(default=32, ge=1)
    """Complete plans per position that the network values, the best by the hand-made
    score (None: every plan)."""
    turn_temperature: float = Field(default=0.0, ge=0.0)
    """Self-play only: draw the plan with odds exp(score / temperature), in points of
    score (0: the best plan)."""
    turn_refill_candidates: int = Field(default=4, ge=0, le=1_000)
    """Complete plans per position followed one ply past the refill, each planned again
    under `turn_refill_deals` refills the search draws itself (0: the search stops at the
    refill)."""
    turn_refill_deals: int = Field(default=4, ge=1, le=1_000)
    """Refills drawn per position for the ply past the refill, the same for each of its
    candidates (with `turn_refill_candidates` > 0)."""
    turn_value_targets: Literal["games", "refill"] = "refill"
    """Self-play's value targets: "games", the TD(lambda) return of each afterstate a game
    played (`afterstate_td_lambda`); or "refill", every candidate the ply past the refill
    valued, with that value (the mean over its deals of the best next plan), as a deeper
    search teaches a shallower one. "refill" needs `turn_refill_candidates` > 0."""

    @model_validator(mode="before")
    @classmethod
    def _games_targets_without_the_ply(cls, data: Any) -> Any:
        """Settings that turn the ply past the refill off and say nothing of the targets
        (a run saved before `turn_value_targets` existed, or a file that only sets
        `turn_refill_candidates = 0`) learn from games: there is no ply to learn from."""
        if (
            isinstance(data, Mapping)
            and "turn_value_targets" not in data
            and data.get("turn_refill_candidates") == 0
        ):
            return {**data, "turn_value_targets": "games"}
        return data

    @model_validator(mode="after")
    def _refill_targets_need_the_ply(self) -> TurnSearchConfig:
        if self.turn_value_targets == "refill" and self.turn_refill_candidates == 0:
            raise ValueError(
                'turn_value_targets = "refill" needs the ply past the refill: set '
                "turn_refill_candidates above 0"
            )
        return self


class _TreeSearchSettings(_SearchSettings):
    """What both tree searches (PUCT, Gumbel) read."""

    max_simulations: int = Field(default=16, ge=1, le=100_000)
    """Simulations (network evaluations) per move."""
    max_depth: int = Field(default=64, ge=1)
    """A simulation stops walking down after this many edges."""
    discount: float = Field(default=0.99, gt=0.0, le=1.0)
    """Per-move discount of rewards inside the tree and in value targets."""
    mcts_batch_size: int = Field(default=256, ge=1)
    """Most leaves sent to the network in one call; larger rounds are split."""
    refill_draws: Literal["per_child", "per_parent"] = "per_child"
    """How a simulated move that empties the slots gets new shapes (always from the search's
    own generator, never the game's): drawn afresh for each child ("per_child"), or drawn once
    per node and shared by all its children ("per_parent"), so siblings are compared under
    the same shapes."""


class PuctConfig(_TreeSearchSettings):
    """AlphaZero's tree search: PUCT selection, Dirichlet root noise, visit-count moves."""

    algorithm: Literal["puct"] = "puct"
    """The search: "puct" (this class)."""
    cpuct: float = Field(default=1.25, gt=0.0)
    """Exploration constant of the PUCT rule."""
    dirichlet_alpha: float = Field(default=0.3, gt=0.0)
    """Concentration of the Dirichlet noise mixed into the root priors."""
    dirichlet_epsilon: float = Field(default=0.25, ge=0.0, le=1.0)
    """Weight of that noise, 0 disables it."""
    reuse_tree: bool = True
    """Keep the chosen child's subtree for the next move: fewer new simulations per move."""
    temperature: float = Field(default=1.0, ge=0.0)
    """Visit-count temperature for choosing self-play moves, 0 is greedy."""
    temperature_moves: int = Field(default=30, ge=0)
    """Self-play moves played with `temperature`; later moves are greedy."""


class GumbelConfig(_TreeSearchSettings):
    """Gumbel AlphaZero: Gumbel-top-k and sequential halving at the root; its moves are the
    best of the halving (its exploration is `gumbel_scale`), and it starts every move
    from the played child's evaluation alone."""

    algorithm: Literal["gumbel"] = "gumbel"
    """The search: "gumbel" (this class)."""
    gumbel_max_considered_actions: int = Field(default=16, ge=1)
    """Actions sampled at the root by Gumbel-top-k and halved sequentially."""
    gumbel_scale: float = Field(default=1.0, ge=0.0)
    """Scale of the Gumbel noise at the root, 0 is deterministic as in evaluation."""
    gumbel_c_visit: float = Field(default=50.0, gt=0.0)
    """c_visit of the sigma transform of completed Q-values."""
    gumbel_c_scale: float = Field(default=1.0, gt=0.0)
    """c_scale of the sigma transform of completed Q-values."""


TreeSearchConfig: TypeAlias = PuctConfig | GumbelConfig
"""The settings of a tree search (`BatchedSearch`)."""
SearchConfig: TypeAlias = Annotated[
    TurnSearchConfig | PuctConfig | GumbelConfig, Field(discriminator="algorithm")
]
"""The settings of one search, the class chosen by `algorithm`."""
AlphaTriangleMCTSConfig: TypeAlias = SearchConfig
"""The seed's name for the `[mcts]` settings: the union of the searches' classes."""

SEARCH_CLASSES: dict[str, type[TurnSearchConfig | PuctConfig | GumbelConfig]] = {
    "turn": TurnSearchConfig,
    "puct": PuctConfig,
    "gumbel": GumbelConfig,
}
"""`algorithm` -> the class of its settings."""
SEARCH_ADAPTER: TypeAdapter[SearchConfig] = TypeAdapter(SearchConfig)
"""Validates (and reads JSON into) the union."""


def _owners() -> dict[str, tuple[str, ...]]:
    owners: dict[str, list[str]] = {}
    for algorithm, cls in SEARCH_CLASSES.items():
        for name in cls.model_fields:
            if name != "algorithm":
                owners.setdefault(name, []).append(algorithm)
    return {name: tuple(algorithms) for name, algorithms in owners.items()}


_OWNERS: dict[str, tuple[str, ...]] = _owners()
"""Field -> the searches whose settings hold it."""


def searches_of(field: str) -> tuple[str, ...]:
    """The searches whose settings hold `field` (empty for an unknown name)."""
    return _OWNERS.get(field, ())


def all_search_fields() -> frozenset[str]:
    """Every field of every search's settings, `algorithm` included."""
    return frozenset(_OWNERS) | {"algorithm"}


def _foreign_message(fields: list[str], algorithm: str) -> str:
    parts = []
    for name in fields:
        owners = searches_of(name)
        where = owners[0] if len(owners) == 1 else " and ".join(owners)
        parts.append(f"{name} is a setting of the {where} search{'es' if len(owners) > 1 else ''}")
    sets = " or ".join(f'algorithm = "{a}"' for a in searches_of(fields[0]))
    return (
        f"{'; '.join(parts)}, and does not act in the {algorithm} search "
        f'(algorithm = "{algorithm}"): remove {", ".join(fields)}, or set {sets}'
    )


def search_config(values: Mapping[str, Any] | None = None, /, **fields: Any) -> SearchConfig:
    """The settings of the search `algorithm` names (default "turn"), from `values` and
    `fields`. Raises pydantic's ValidationError naming a bad value, an unknown
    `algorithm`, or a field of another search (with the search it belongs to)."""
    merged = {"algorithm": DEFAULT_ALGORITHM, **(values or {}), **fields}
    return SEARCH_ADAPTER.validate_python(merged)


def search_holding(values: Mapping[str, Any]) -> str:
    """The search `values` configure: their `algorithm`, else the first of "turn", "gumbel"
    and "puct" whose settings hold every field given (the default when none does, so
    that `search_config` names the stray field)."""
    if "algorithm" in values:
        return str(values["algorithm"])
    for algorithm in ("turn", "gumbel", "puct"):
        if set(values) <= set(SEARCH_CLASSES[algorithm].model_fields):
            return algorithm
    return DEFAULT_ALGORITHM


RECORDED_BEFORE_THE_FIELD: dict[str, Any] = {
    "turn_refill_candidates": 0,
    "turn_value_targets": "games",
}
"""What the turn search did before these fields existed: a run or checkpoint whose recorded
settings lack one resumes and evaluates as it was trained, not with today's default."""


def convert_search_config(values: Mapping[str, Any]) -> tuple[SearchConfig, tuple[str, ...]]:
    """Settings written before each search had its own class (every search's fields in
    one table): the chosen search's settings, and the fields dropped because they do not
    act in it (sorted; empty when nothing was dropped). Unknown fields and bad values
    still raise, as `search_config` does."""
    algorithm = str(values.get("algorithm", DEFAULT_ALGORITHM))
    if algorithm == "turn":  # a field recorded settings lack was not there: its old value
        values = {**RECORDED_BEFORE_THE_FIELD, **values}
    cls = SEARCH_CLASSES.get(algorithm)
    held = set(cls.model_fields) if cls is not None else set(_OWNERS)
    dropped = tuple(sorted(k for k in values if k not in held and k in _OWNERS))
    kept = {k: v for k, v in values.items() if k not in dropped}
    return search_config(kept), dropped


def read_search_config_json(text: str | bytes) -> tuple[SearchConfig, tuple[str, ...]]:
    """`convert_search_config` of a JSON object (a checkpoint's recorded settings)."""
    import json

    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError(f"search settings must be a JSON object, got {type(values).__name__}")
    return convert_search_config(values)
