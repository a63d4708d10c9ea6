"""A run's settings, saved with it, and what a resume may change of them.

A run is what it was started as: its seed, board, network, training and search
settings and its limits are saved in the run-state file (`settings`) at every save,
and a resume starts from them, not from the defaults of the new command line. An
option given again differs from the saved value only where the user asks for a
change, and each field's `Policy` says whether that change may apply mid-run:

- `Policy.FIXED`: the checkpoint, the buffer, the schedule or the meaning of the
  run's figures depend on it (board, network, search, learning settings, seed); a
  different value refuses the resume (`SettingsConflictError`, exit 2, nothing written);
- `Policy.MAY_CHANGE`: how long and on what it runs (limits, workers, threads,
  devices, cadences, fault limits); the new value applies from this start on, and
  each change is logged and recorded in the MLflow run;
- `Policy.LAUNCH`: not part of the run at all (where the data lives, which Ray
  cluster, how long to wait for it): each start uses what it is given, nothing is saved.

The search's settings are one class per search (`alphatriangle.config.mcts_config`): a
resume compares only the fields of the search the run uses, and a run-state file
written before that (every search's fields in one table) is converted on reading, the
fields that never acted in its search dropped (`SavedSettings.converted` says which).

`POLICIES` classifies every field of every config; a field without a policy is an
error of this table (the package's tests check that each one has one), so a new
config field cannot slip through unclassified.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
    convert_search_config,
)
from alphatriangle.config.config_file import PRESET_KEY, ConfigOverrides
from alphatriangle.config.mcts_config import SEARCH_CLASSES, all_search_fields


class Policy(Enum):
    """What a resume does with a field given with another value than the run saved."""

    FIXED = "fixed"
    MAY_CHANGE = "may change"
    LAUNCH = "each launch"


F, C, L = Policy.FIXED, Policy.MAY_CHANGE, Policy.LAUNCH

POLICIES: dict[str, dict[str, Policy]] = {
    # The run's identity: the generators' states in the checkpoint continue from its seed.
    "run": {
        "seed": F,
        "run_name": L,
        "data_root": L,
        "app_name": L,
        "resume": L,
        "load_checkpoint": L,
        "ray_address": L,
        "ray_connect_timeout": L,
    },
    # The board: the network's input and output shapes, the buffer's positions, the scores.
    "env": {name: F for name in EnvConfig.model_fields},
    # The network's shape and value support: the checkpoint's weights depend on every one.
    "model": {name: F for name in ModelConfig.model_fields},
    "train": {
        # How long the run trains: extend (or shorten) it at will.
        "max_training_steps": C,
        "max_minutes": C,
        # Where and on how many cores it runs: the saved state is the same on any.
        "device": C,
        "worker_device": C,
        "num_self_play_workers": C,
        "reserve_cpu_for_trainer": C,
        "games_per_worker": C,
        "games_per_worker_at_start": C,
        "worker_torch_threads": C,
        "trainer_torch_threads": C,
        "worker_update_freq_steps": C,
        "results_per_call_max_moves": C,
        # Cadences of saving, metrics and the console, and the fault limits.
        "checkpoint_save_freq_steps": C,
        "buffer_save_freq_steps": C,
        "checkpoints_to_keep": C,
        "stats_interval_seconds": C,
        "progress_interval_seconds": C,
        "eval_interval_steps": C,
        "eval_cpu_share": C,
        "max_consecutive_bad_updates": C,
        "max_worker_restarts": C,
        "min_buffer_size_to_train": C,
        # What the games teach: targets already in the buffer were made with these.
        "max_episode_length": F,
        "value_target_n_step": F,
        "afterstate_td_lambda": F,
        # The buffer's layout and its priorities.
        "buffer_capacity": F,
        "use_per": F,
        "per_alpha": F,
        "per_beta_initial": F,
        "per_beta_final": F,
        "per_beta_anneal_steps": F,
        "per_epsilon": F,
        "max_samples_per_position": F,
        # The evaluation's games: the best score so far (best.pt) is a mean over them.
        "eval_games": F,
        "eval_max_moves": F,
        # The optimizer and its schedule, whose state the checkpoint continues.
        "batch_size": F,
        "learning_rate": F,
        "weight_decay": F,
        "lr_warmup_steps": F,
        "lr_min_factor": F,
        "gradient_clip_norm": F,
        "value_loss_weight": F,
        "entropy_bonus_weight": F,
        "board_value_fit": F,
        "board_value_memory_steps": F,
        "board_value_ridge": F,
        "board_value_prior_boards": F,
    },
    # The search makes the games the network learns from: its kind and settings stay.
    "mcts": {
        **{name: F for name in sorted(all_search_fields())},
        "mcts_batch_size": C,  # how leaves are split into network calls, not which
    },
}
"""Section -> field -> policy, for every field of `RunContext` ("run") and the configs."""

SECTION_MODELS: dict[str, tuple[type[BaseModel], ...]] = {
    "run": (RunContext,),
    "env": (EnvConfig,),
    "model": (ModelConfig,),
    "train": (TrainConfig,),
    "mcts": tuple(SEARCH_CLASSES.values()),
}
"""The models whose fields each section of `POLICIES` classifies (one class per search)."""


class SettingsConflictError(ValueError):
    """A resume was given a fixed setting with another value than the run's (exit 2)."""


@dataclass(frozen=True, slots=True)
class SettingChange:
    """A setting a resume changed: `section.field`, the run's value, the new one."""

    section: str
    field: str
    saved: Any
    given: Any

    @property
    def name(self) -> str:
        return f"{self.section}.{self.field}"

    @property
    def label(self) -> str:
        """How a user gives it: `--seed`, or `[table] field` of the config file."""
        return f"--{self.field}" if self.section == "run" else f"[{self.section}] {self.field}"

    def __str__(self) -> str:
        return f"{self.name}: {self.saved!r} -> {self.given!r}"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything a run is started with that a resume keeps: seed and the four configs."""

    seed: int
    env: EnvConfig
    model: ModelConfig
    train: TrainConfig
    mcts: AlphaTriangleMCTSConfig

    def to_json(self) -> dict[str, dict[str, Any]]:
        """The `settings` of the run-state file: a table per section, as JSON values."""
        return {
            "run": {"seed": self.seed},
            **{name: self.config(name).model_dump(mode="json") for name in CONFIG_SECTIONS},
        }

    @classmethod
    def from_json(cls, data: object) -> RunSettings:
        """Read `to_json`'s tables back; ValueError when they are missing or invalid."""
        return cls.read_json(data)[0]

    @classmethod
    def read_json(cls, data: object) -> tuple[RunSettings, tuple[str, ...]]:
        """`from_json`, and the `[mcts]` fields dropped from an older file because they do
        not act in its search (empty for a file written with one class per search)."""
        if not isinstance(data, dict) or not isinstance(data.get("run"), dict):
            raise ValueError("the run-state file records no settings")
        try:
            mcts, dropped = convert_search_config(data["mcts"])
            settings = cls(
                seed=int(data["run"]["seed"]),
                env=EnvConfig.model_validate(data["env"]),
                model=ModelConfig.model_validate(data["model"]),
                train=TrainConfig.from_recorded(data["train"]),
                mcts=mcts,
            )
        except (KeyError, TypeError, ValueError) as error:  # ValidationError is a ValueError
            raise ValueError(f"the run-state file's settings cannot be read: {error}") from None
        return settings, dropped

    def config(self, section: str) -> BaseModel:
        """The config of `section` ("env", "model", "train" or "mcts")."""
        config: BaseModel = getattr(self, section)
        return config


CONFIG_SECTIONS = ("env", "model", "train", "mcts")


def given_fields(overrides: ConfigOverrides, *, seed_given: bool) -> dict[str, set[str]]:
    """Section -> the fields a command line gave (its config file and its options): only
    these may differ from a resumed run's. A model preset gives every field of the model."""
    fields = {section: set(values) for section, values in overrides.sections.items()}
    if PRESET_KEY in fields.get("model", set()):
        fields["model"] = set(ModelConfig.model_fields)
    if seed_given:
        fields["run"] = {"seed"}
    return fields


def resume_with(
    saved: RunSettings,
    given: RunSettings,
    given_fields: Mapping[str, Collection[str]],
    *,
    run_name: str,
) -> tuple[RunSettings, list[SettingChange]]:
    """The settings a resumed run trains with: `saved`, with the fields the command line
    gave (`given_fields`, section -> names, valued as in `given`) that may change.

    Returns those settings and the changes. Raises SettingsConflictError naming every fixed
    field given with another value (the saved one and the given one) and how to start
    a new run instead; nothing has been written when it does.
    """
    changes: list[SettingChange] = []
    conflicts: list[SettingChange] = []
    for section, fields in given_fields.items():
        for field in sorted(fields):
            policy = POLICIES[section][field]
            if policy is Policy.LAUNCH or not _holds(saved, section, field):
                continue  # a field of another search than the run's: `algorithm` conflicts
            before, after = _value(saved, section, field), _value(given, section, field)
            if before == after:
                continue
            change = SettingChange(section, field, before, after)
            (conflicts if policy is Policy.FIXED else changes).append(change)
    if conflicts:
        listed = "; ".join(
            f"{c.label}: the run has {c.saved!r}, given {c.given!r}" for c in conflicts
        )
        raise SettingsConflictError(
            f"run {run_name} cannot be resumed with settings other than the ones it was "
            f"started with ({listed}): its checkpoint, buffer or schedule depend on them. "
            f"To train with them, start a new run: another --run-name, or --no-resume to "
            f"start {run_name} afresh (its files are set aside, not deleted)"
        )
    return _apply(saved, changes), changes


def _holds(settings: RunSettings, section: str, field: str) -> bool:
    """Whether `settings` have `field`: a search's settings hold only that search's fields."""
    return section != "mcts" or field in type(settings.mcts).model_fields


def _value(settings: RunSettings, section: str, field: str) -> Any:
    """A field as the settings file holds it, so a saved and a given value compare alike."""
    if section == "run":
        return getattr(settings, field)
    return json.loads(settings.config(section).model_dump_json(include={field}))[field]


def _apply(saved: RunSettings, changes: list[SettingChange]) -> RunSettings:
    """`saved` with the changes; SettingsConflictError when the result is inconsistent."""
    updates: dict[str, dict[str, Any]] = {}
    for change in changes:
        updates.setdefault(change.section, {})[change.field] = change.given
    try:
        configs = {
            name: type(saved.config(name)).model_validate(
                {**saved.config(name).model_dump(mode="json"), **updates.get(name, {})}
            )
            for name in CONFIG_SECTIONS
        }
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise SettingsConflictError(
            f"the changed settings do not fit the run's saved ones: {details}"
        ) from None
    return RunSettings(seed=saved.seed, **configs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class StartSettings:
    """The settings one start of a run trains with, and where they came from."""

    settings: RunSettings
    changes: list[SettingChange]
    """Fields given with another value than the resumed run saved, that now apply."""
    restored_from: Path | None = None
    """The run-state file the settings were restored from (None: a new run's own)."""
    note: str | None = None
    """Why a resumed run could not restore its settings (an older run-state file)."""
    converted: str | None = None
    """What was converted of an older run-state file's settings (fields dropped)."""


@dataclass(frozen=True, slots=True)
class SavedSettings:
    """What a run that is resumed saved of its settings (see `saved_settings`)."""

    path: Path
    settings: RunSettings | None
    """None when the run-state file records none that can be read (`note` says why)."""
    note: str | None = None
    converted: str | None = None


def saved_settings(run_context: RunContext) -> SavedSettings | None:
    """The saved settings of the run `run_context` resumes; None when it resumes nothing
    (a new run, `--no-resume`, or a run without saved state). Reads files, writes none."""
    from .checkpoints import CheckpointStore  # imports torch: only for a run with files
    from .run_state import read_run_state

    if not run_context.resume or not run_context.run_dir.is_dir():
        return None
    if not CheckpointStore(run_context).has_saved_state():
        return None
    path = run_context.run_state_path
    try:
        saved, dropped = RunSettings.read_json((read_run_state(path) or {}).get("settings"))
    except ValueError as error:
        note = (
            f"run {run_context.run_name} resumes with the settings given now, not its own: "
            f"{path}: {error}"
        )
        return SavedSettings(path, None, note=note)
    converted = None
    if dropped:
        converted = (
            f"{path} was written before each search had its own settings: converted to the "
            f"{saved.mcts.algorithm} search's, dropping [mcts] {', '.join(dropped)} "
            "(they never acted in it)."
        )
    return SavedSettings(path, saved, converted=converted)


def settings_for_start(
    run_context: RunContext,
    given: RunSettings,
    fields_given: Mapping[str, Collection[str]],
    saved: SavedSettings | None = None,
) -> StartSettings:
    """A resume's settings (`resume_with`) when the run has saved state to resume and its
    run-state file records them (`saved`, read here when not given); otherwise the
    settings given. Raises SettingsConflictError as `resume_with` does."""
    saved = saved or saved_settings(run_context)
    if saved is None:
        return StartSettings(given, [])
    if saved.settings is None:
        return StartSettings(given, [], note=saved.note)
    settings, changes = resume_with(
        saved.settings, given, fields_given, run_name=run_context.run_name
    )
    return StartSettings(settings, changes, restored_from=saved.path, converted=saved.converted)
