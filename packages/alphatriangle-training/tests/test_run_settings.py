"""A resumed run keeps its saved settings; the command line changes only what may change."""

from __future__ import annotations

import pytest

from alphatriangle.config import (
    ConfigOverrides,
    EnvConfig,
    ModelConfig,
    TrainConfig,
    search_config,
)
from alphatriangle.training.store.run_settings import (
    POLICIES,
    SECTION_MODELS,
    Policy,
    RunSettings,
    SettingChange,
    SettingsConflictError,
    given_fields,
    resume_with,
)

SAVED = RunSettings(
    seed=3,
    env=EnvConfig(),
    model=ModelConfig(trunk_channels=8),
    train=TrainConfig(max_minutes=1.0, num_self_play_workers=2, batch_size=16),
    mcts=search_config(turn_beam_width=40),
)
TURN_PUCT = ("turn", "puct")
DEFAULTS = RunSettings(
    seed=42,
    env=EnvConfig(),
    model=ModelConfig(),
    train=TrainConfig(),
    mcts=search_config(),
)


def test_every_config_field_has_a_policy() -> None:
    """A new field must be classified here before a resume can meet it."""
    for section, models in SECTION_MODELS.items():
        fields = {name for model in models for name in model.model_fields}
        assert set(POLICIES[section]) == fields, section


def test_nothing_given_restores_every_saved_setting_and_limit() -> None:
    settings, changes = resume_with(SAVED, DEFAULTS, {}, run_name="r")
    assert settings == SAVED
    assert changes == []
    assert (settings.train.max_minutes, settings.train.max_training_steps) == (1.0, None)


def test_the_same_values_given_again_are_no_change() -> None:
    given = _with(SAVED)
    fields = {"train": {"max_minutes", "batch_size"}, "mcts": {"turn_beam_width"}, "run": {"seed"}}
    assert resume_with(SAVED, given, fields, run_name="r") == (SAVED, [])


def test_a_larger_step_limit_and_more_workers_apply_and_are_named() -> None:
    given = _with(DEFAULTS, train=TrainConfig(max_training_steps=500, num_self_play_workers=6))
    settings, changes = resume_with(
        SAVED,
        given,
        {"train": {"max_training_steps", "num_self_play_workers"}},
        run_name="r",
    )
    assert changes == [
        SettingChange("train", "max_training_steps", None, 500),
        SettingChange("train", "num_self_play_workers", 2, 6),
    ]
    assert str(changes[0]) == "train.max_training_steps: None -> 500"
    assert settings.train == SAVED.train.with_updates(
        max_training_steps=500, num_self_play_workers=6
    )
    assert settings.model == SAVED.model  # given defaults elsewhere do not leak in


@pytest.mark.parametrize(
    ("section", "given", "field", "saved_value", "given_value"),
    [
        ("env", {"env": EnvConfig(ROWS=6)}, "ROWS", 8, 6),
        ("model", {"model": ModelConfig(trunk_channels=16)}, "trunk_channels", 8, 16),
        ("mcts", {"mcts": search_config(algorithm="puct")}, "algorithm", *TURN_PUCT),
        ("train", {"train": TrainConfig(batch_size=32)}, "batch_size", 16, 32),
        ("run", {"seed": 7}, "seed", 3, 7),
    ],
)
def test_a_fixed_setting_given_otherwise_refuses_naming_both_values(
    section: str, given: dict[str, object], field: str, saved_value: object, given_value: object
) -> None:
    assert POLICIES[section][field] is Policy.FIXED
    with pytest.raises(SettingsConflictError) as caught:
        resume_with(SAVED, _with(SAVED, **given), {section: {field}}, run_name="r")
    message = str(caught.value)
    label = "--seed" if section == "run" else f"[{section}] {field}"
    assert f"{label}: the run has {saved_value!r}, given {given_value!r}" in message
    assert "--run-name" in message
    assert "--no-resume" in message


def test_a_model_preset_gives_every_model_field_and_the_seed_only_when_given() -> None:
    overrides = ConfigOverrides()
    overrides.set("model", "preset", "gpu")
    overrides.set("train", "max_minutes", 2.0)
    fields = given_fields(overrides, seed_given=False)
    assert fields["model"] == set(ModelConfig.model_fields)
    assert fields["train"] == {"max_minutes"}
    assert "run" not in fields
    assert given_fields(ConfigOverrides(), seed_given=True) == {"run": {"seed"}}


def test_settings_survive_the_run_state_file() -> None:
    assert RunSettings.from_json(SAVED.to_json()) == SAVED
    with pytest.raises(ValueError, match="records no settings"):
        RunSettings.from_json(None)


def test_a_run_recorded_before_the_least_squares_fit_keeps_its_optimiser() -> None:
    recorded = SAVED.to_json()
    del recorded["train"]["board_value_fit"]
    assert RunSettings.from_json(recorded).train.board_value_fit == "optimiser"
    assert RunSettings.from_json(SAVED.to_json()).train.board_value_fit == "least_squares"
    recorded["train"]["board_value_fit"] = "within_positions"  # a run that chose it keeps it
    assert RunSettings.from_json(recorded).train.board_value_fit == "within_positions"


def _fields(settings: RunSettings) -> dict[str, object]:
    return {
        "seed": settings.seed,
        "env": settings.env,
        "model": settings.model,
        "train": settings.train,
        "mcts": settings.mcts,
    }


def _with(settings: RunSettings, **updates: object) -> RunSettings:
    return RunSettings(**{**_fields(settings), **updates})  # type: ignore[arg-type]


def test_a_resume_compares_only_the_fields_of_the_runs_search() -> None:
    """Given as a resumed turn run reads them (under its own algorithm), a turn field may not
    change; a field of another search never reaches the comparison: it is refused when
    the table is read (`ConfigOverrides.build` names it)."""
    overrides = ConfigOverrides()
    overrides.set("mcts", "turn_beam_width", 12)
    given = _with(SAVED, mcts=overrides.build("mcts", "arguments", under={"algorithm": "turn"}))
    with pytest.raises(SettingsConflictError, match=r"\[mcts\] turn_beam_width: the run has 40"):
        resume_with(SAVED, given, given_fields(overrides, seed_given=False), run_name="r")
    overrides = ConfigOverrides()
    overrides.set("mcts", "cpuct", 2.0)
    with pytest.raises(ValueError, match="cpuct is a setting of the puct search"):
        overrides.build("mcts", "arguments", under={"algorithm": "turn"})


def test_another_search_given_on_resume_names_only_the_algorithm() -> None:
    given = _with(SAVED, mcts=search_config(algorithm="puct", cpuct=2.0))
    fields = {"mcts": {"algorithm", "cpuct"}}
    with pytest.raises(SettingsConflictError) as caught:
        resume_with(SAVED, given, fields, run_name="r")
    message = str(caught.value)
    assert "[mcts] algorithm: the run has 'turn', given 'puct'" in message
    assert "cpuct" not in message


def test_an_old_run_state_file_converts_its_flat_search_table_naming_what_it_dropped() -> None:
    """Before each search had a class, a run saved every search's fields; an unused cpuct
    that differs from today's default is dropped with the rest, not compared."""
    old = SAVED.to_json()
    old["mcts"] = {
        **old["mcts"],
        **search_config(algorithm="puct", cpuct=2.0).model_dump(mode="json"),
        **search_config(algorithm="gumbel").model_dump(mode="json"),
        "algorithm": "turn",
    }
    settings, dropped = RunSettings.read_json(old)
    assert settings == SAVED
    assert "cpuct" in dropped
    assert "max_simulations" in dropped
    assert not [name for name in dropped if name.startswith("turn_")]
    assert RunSettings.read_json(SAVED.to_json()) == (SAVED, ())
