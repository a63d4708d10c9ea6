"""One settings class per search: each holds only the fields that act in it, a field of
another search is refused naming it, and settings written before (one flat table of
every search's fields) are converted, the dropped fields named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from alphatriangle.config import (
    ConfigFileError,
    GumbelConfig,
    PuctConfig,
    TurnSearchConfig,
    convert_search_config,
    read_config_file,
    search_config,
)
from alphatriangle.config.mcts_config import (
    RECORDED_BEFORE_THE_FIELD,
    SEARCH_ADAPTER,
    read_search_config_json,
)

TREE_FIELDS = {"max_simulations", "max_depth", "discount", "mcts_batch_size", "refill_draws"}
PUCT_ONLY = {"cpuct", "dirichlet_alpha", "dirichlet_epsilon", "reuse_tree", "temperature"}
GUMBEL_ONLY = {"gumbel_max_considered_actions", "gumbel_scale", "gumbel_c_visit"}
ADDED_SINCE = {"turn_refill_candidates", "turn_refill_deals", "turn_value_targets"}
"""Fields added after the flat table: an old run never set them; converted, it gets what
the search did before they existed (`RECORDED_BEFORE_THE_FIELD`), else their defaults."""

OLD_FLAT_TABLE: dict[str, object] = {
    # Every field of the one class the searches shared before, as a run saved it.
    "algorithm": "turn",
    "turn_value": "hand+network",
    "turn_correction_bound": 3.0,
    "turn_beam_width": 100,
    "turn_candidates": 32,
    "turn_temperature": 0.0,
    "max_simulations": 16,
    "max_depth": 64,
    "cpuct": 1.25,
    "dirichlet_alpha": 0.3,
    "dirichlet_epsilon": 0.25,
    "discount": 0.99,
    "mcts_batch_size": 256,
    "refill_draws": "per_child",
    "reuse_tree": True,
    "temperature": 1.0,
    "temperature_moves": 30,
    "gumbel_max_considered_actions": 16,
    "gumbel_scale": 1.0,
    "gumbel_c_visit": 50.0,
    "gumbel_c_scale": 1.0,
}


def test_each_search_holds_only_its_own_fields() -> None:
    turn, puct, gumbel = (set(c.model_fields) for c in (TurnSearchConfig, PuctConfig, GumbelConfig))
    assert all(name.startswith("turn_") for name in turn - {"algorithm"})
    assert puct & gumbel >= TREE_FIELDS
    assert not TREE_FIELDS & turn
    assert puct >= PUCT_ONLY
    assert not PUCT_ONLY & (gumbel | turn)
    assert gumbel >= GUMBEL_ONLY
    assert not GUMBEL_ONLY & (puct | turn)
    assert set(OLD_FLAT_TABLE) | ADDED_SINCE == turn | puct | gumbel


def test_the_tag_picks_the_class_and_the_default_is_the_turn_search() -> None:
    assert isinstance(search_config(), TurnSearchConfig)
    assert isinstance(search_config(algorithm="puct", cpuct=2.0), PuctConfig)
    assert isinstance(search_config({"algorithm": "gumbel"}), GumbelConfig)
    for config in (TurnSearchConfig(turn_temperature=0.5), PuctConfig(), GumbelConfig()):
        assert SEARCH_ADAPTER.validate_json(config.model_dump_json()) == config


@pytest.mark.parametrize(
    ("algorithm", "field", "owner"),
    [
        ("turn", "cpuct", 'algorithm = "puct"'),
        ("turn", "max_simulations", 'algorithm = "puct" or algorithm = "gumbel"'),
        ("gumbel", "dirichlet_alpha", 'algorithm = "puct"'),
        ("puct", "gumbel_scale", 'algorithm = "gumbel"'),
        ("puct", "turn_beam_width", 'algorithm = "turn"'),
    ],
)
def test_a_field_of_another_search_is_refused_naming_it(
    algorithm: str, field: str, owner: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        search_config(algorithm=algorithm, **{field: 1})
    message = str(caught.value)
    assert f"{field} is a setting of the" in message
    assert f"does not act in the {algorithm} search" in message
    assert f"remove {field}, or set {owner}" in message


def test_a_config_file_with_a_field_of_another_search_names_file_table_and_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.toml"
    path.write_text("[mcts]\ncpuct = 2.0\n")  # an old-style table under the default search
    with pytest.raises(ConfigFileError) as caught:
        read_config_file(path).build("mcts", f"config file {path}")
    assert str(caught.value) == (
        f"config file {path}: [mcts] cpuct is a setting of the puct search, and does not act "
        'in the turn search (algorithm = "turn"): remove cpuct, or set algorithm = "puct"'
    )


@pytest.mark.parametrize("algorithm", ["turn", "puct", "gumbel"])
def test_an_old_flat_table_converts_to_its_search_dropping_the_rest(algorithm: str) -> None:
    config, dropped = convert_search_config({**OLD_FLAT_TABLE, "algorithm": algorithm})
    assert config.algorithm == algorithm
    kept = set(type(config).model_fields)
    assert set(dropped) == set(OLD_FLAT_TABLE) - kept
    assert list(dropped) == sorted(dropped)
    for name in kept - ADDED_SINCE:
        assert getattr(config, name) == OLD_FLAT_TABLE[name] or name == "algorithm"
    for name in kept & ADDED_SINCE:
        before = RECORDED_BEFORE_THE_FIELD.get(name, type(config).model_fields[name].default)
        assert getattr(config, name) == before
    # Settings of one class convert to themselves, nothing dropped.
    assert convert_search_config(config.model_dump()) == (config, ())


def test_an_old_checkpoints_recorded_search_reads_converted() -> None:
    config, dropped = read_search_config_json(json.dumps({**OLD_FLAT_TABLE, "cpuct": 9.0}))
    turn_fields = {k: v for k, v in OLD_FLAT_TABLE.items() if k in TurnSearchConfig.model_fields}
    assert config == TurnSearchConfig(**{**turn_fields, **RECORDED_BEFORE_THE_FIELD})
    assert "cpuct" in dropped
    assert "turn_beam_width" not in dropped


def test_conversion_still_refuses_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="cpucct"):
        convert_search_config({**OLD_FLAT_TABLE, "cpucct": 1.0})
    with pytest.raises(ValidationError, match="turn_beam_width"):
        convert_search_config({**OLD_FLAT_TABLE, "turn_beam_width": 0})


def test_recorded_turn_settings_without_the_refill_fields_play_as_they_were_trained() -> None:
    """Today's default follows the ply past the refill and learns from it; settings a run
    or checkpoint recorded before those fields existed convert to the search it trained."""
    recorded = {k: v for k, v in OLD_FLAT_TABLE.items() if k.startswith("turn_")}
    converted, _ = convert_search_config({"algorithm": "turn", **recorded})
    assert isinstance(converted, TurnSearchConfig)
    assert converted.turn_refill_candidates == 0
    assert converted.turn_value_targets == "games"
    assert converted.turn_value == OLD_FLAT_TABLE["turn_value"]
    fresh = TurnSearchConfig()
    assert fresh.turn_refill_candidates > 0
    assert fresh.turn_value_targets == "refill"
    assert fresh.turn_value == "board"
    assert TurnSearchConfig(turn_refill_candidates=0).turn_value_targets == "games"
