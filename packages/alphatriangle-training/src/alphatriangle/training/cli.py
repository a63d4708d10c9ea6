"""The command line of `uv run apps/train`: arguments and config file into a run.

Everything is validated before anything is created on disk; a bad argument or config
value exits with status 2 and a message naming it. A saved state that cannot be
resumed exits 2 as well (see `runner` for every exit code). A resumed run trains with
the settings it was started with, which the options and config file given now may
change only where `store/run_settings.py` allows; a setting that may not change exits
2 here, before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from alphatriangle.config import (
    DATA_DIR_NAME,
    AppPaths,
    GumbelConfig,
    RunContext,
    TrainConfig,
    default_run_name,
)
from alphatriangle.config.config_file import (
    PRESET_KEY,
    ConfigFileError,
    ConfigOverrides,
    read_config_file,
)
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT
from alphatriangle.config.help_format import DefaultsOnceFormatter, config_default
from alphatriangle.config.mcts_config import DEFAULT_ALGORITHM
from alphatriangle.config.model_config import MODEL_PRESETS

from .cluster.auth import enable_token_auth_if_available

if TYPE_CHECKING:
    from .store.run_settings import SavedSettings, StartSettings

# The pipeline (torch, Ray, trieye, MLflow: seconds of imports) is imported only once
# the arguments are valid, so `--help` and a bad argument answer at once.


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uv run apps/train",
        description="Train an AlphaTriangle agent by self-play (headless).",
        formatter_class=DefaultsOnceFormatter,
    )
    parser.add_argument(
        "--run-name",
        default=None,
        help="run directory and MLflow run name "
        "(default: continue the newest unfinished run, else a new timestamped name)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of every random generator of a new run (default: "
        f"{config_default(RunContext, 'seed')}; a resumed run keeps its own)",
    )
    parser.add_argument(
        "--max-training-steps",
        type=int,
        default=None,
        help="stop after this many training steps; given without --max-minutes, the run has "
        "no time budget (default: from [train], else no step limit: the time budget ends the run)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        metavar="MINUTES",
        help="stop after this many minutes of training (over resumes); the learning rate "
        "and PER beta anneal over them, and no step limit applies unless one is given "
        f"(default: from [train], {config_default(TrainConfig, 'max_minutes'):g})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="self-play workers at most (default: from [train], else one per CPU of the "
        "Ray cluster)",
    )
    parser.add_argument(
        "--games-per-worker",
        type=int,
        default=None,
        help="games each worker plays at once "
        f"(default: from [train], {config_default(TrainConfig, 'games_per_worker')})",
    )
    parser.add_argument(
        "--simulations",
        type=int,
        default=None,
        help='simulations per move of a tree search ([mcts] algorithm = "puct" or '
        '"gumbel"); an error with the turn search, which runs none '
        f"(default: from [mcts], {config_default(GumbelConfig, 'max_simulations')})",
    )
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default=None,
        help=f"trainer device (default: from [train], {config_default(TrainConfig, 'device')}: "
        "the GPU when there is one, else the CPU)",
    )
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue the run from its latest checkpoint and buffer, with the settings it "
        "was started with: options given now may change its limits, workers, devices and "
        "cadences; another board, network, search or learning setting exits 2",
    )
    parser.add_argument(
        "--load-checkpoint",
        type=Path,
        default=None,
        help="start a new run's network from this .pt checkpoint (weights only; "
        "a run with its own checkpoints resumes from those instead)",
    )
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="HOST:PORT",
        help="join the Ray cluster whose head is at HOST:PORT (default: start a private "
        "local Ray, whatever other clusters this machine has or had)",
    )
    parser.add_argument(
        "--ray-connect-timeout",
        type=float,
        default=config_default(RunContext, "ray_connect_timeout"),
        metavar="SECONDS",
        help="how long the cluster of --ray-address has to let this run join; then the run exits 2",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="console log level",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(DATA_DIR_NAME), help="root of all AlphaTriangle data"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file with [model], [train], [mcts] and [env] overrides. [mcts] holds the "
        'fields of one search, chosen by algorithm: "turn" (the default: turn_*), "puct" '
        "(max_simulations, max_depth, discount, mcts_batch_size, refill_draws, cpuct, "
        'dirichlet_*, reuse_tree, temperature*) or "gumbel" (the same tree fields and '
        "gumbel_*); a field of another search is an error that names it",
    )
    parser.add_argument(
        "--model-preset",
        choices=sorted(MODEL_PRESETS),
        default=None,
        help="start the network's shape from this preset, [model] fields on top "
        '(default: from [model] preset, else "cpu"; "gpu" is larger, for a GPU)',
    )
    return parser


def _newest_unfinished_run(app: AppPaths) -> str | None:
    from .store.run_state import newest_unfinished_run  # imports torch: only when needed

    return newest_unfinished_run(app)


def _saved_settings(run_context: RunContext) -> SavedSettings | None:
    from .store.run_settings import saved_settings  # the store reads torch checkpoints

    return saved_settings(run_context)


def _settings_for_start(
    run_context: RunContext,
    configs: dict[str, Any],
    overrides: ConfigOverrides,
    saved: SavedSettings | None,
    *,
    seed_given: bool,
) -> StartSettings:
    """The settings this start trains with: a resumed run's own, with the changes the
    command line may make (`store/run_settings.py`); a conflict is a ConfigFileError."""
    from .store.run_settings import (
        RunSettings,
        SettingsConflictError,
        given_fields,
        settings_for_start,
    )

    given = RunSettings(seed=run_context.seed, **configs)
    try:
        return settings_for_start(
            run_context, given, given_fields(overrides, seed_given=seed_given), saved
        )
    except SettingsConflictError as error:
        raise ConfigFileError(str(error)) from None


def _apply_arguments(args: argparse.Namespace, overrides: ConfigOverrides) -> None:
    for flag, section, key in (
        ("max_training_steps", "train", "max_training_steps"),
        ("max_minutes", "train", "max_minutes"),
        ("workers", "train", "num_self_play_workers"),
        ("games_per_worker", "train", "games_per_worker"),
        ("device", "train", "device"),
        ("simulations", "mcts", "max_simulations"),
        ("model_preset", "model", PRESET_KEY),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides.set(section, key, value)


def _check_simulations_act(
    args: argparse.Namespace, overrides: ConfigOverrides, under: dict[str, str]
) -> None:
    """`--simulations` with the turn search is an error: it runs no simulations."""
    given = overrides.sections.get("mcts", {})
    algorithm = given.get("algorithm", under.get("algorithm", DEFAULT_ALGORITHM))
    if args.simulations is not None and algorithm == "turn":
        whose = "this run's" if under and "algorithm" not in given else "the configured"
        raise ConfigFileError(
            f"--simulations: {whose} search is the turn search, which runs no simulations "
            '(it sets max_simulations of the tree searches, [mcts] algorithm = "puct" or '
            '"gumbel"); leave --simulations out'
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.ray_address:
        # Ray reads the authentication mode once, when it is imported: before anything
        # below imports it (the pipeline does).
        enable_token_auth_if_available()
    try:
        overrides = read_config_file(args.config) if args.config else ConfigOverrides()
        _apply_arguments(args, overrides)
        source = f"config file {args.config}" if args.config else "arguments"
        configs = {name: overrides.build(name, source) for name in ("env", "model", "train")}
        if args.load_checkpoint is not None and not args.load_checkpoint.is_file():
            raise ConfigFileError(f"--load-checkpoint: {args.load_checkpoint} does not exist")
        data_root = args.data_dir.expanduser().resolve()
        run_name = args.run_name
        if run_name is None:
            run_name = (
                _newest_unfinished_run(AppPaths(data_root)) if args.resume else None
            ) or default_run_name()
        run_context = RunContext(
            run_name=run_name,
            **({} if args.seed is None else {"seed": args.seed}),
            data_root=data_root,
            resume=args.resume,
            load_checkpoint=args.load_checkpoint,
            ray_address=args.ray_address,
            ray_connect_timeout=args.ray_connect_timeout,
        )
        saved = _saved_settings(run_context)
        # A resumed run's search is its own: the [mcts] fields given now are read as
        # fields of that search unless they name another `algorithm` (a conflict below).
        under: dict[str, str] = {}
        if saved is not None and saved.settings is not None:
            under["algorithm"] = saved.settings.mcts.algorithm
        _check_simulations_act(args, overrides, under)
        configs["mcts"] = overrides.build("mcts", source, under=under)
        start = _settings_for_start(
            run_context, configs, overrides, saved, seed_given=args.seed is not None
        )
        run_context = run_context.with_updates(seed=start.settings.seed)
    except ConfigFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as error:
        fields = "; ".join(
            f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: {e['msg']}"
            for e in error.errors()
        )
        print(f"error: {fields}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from .pipeline.runner import run_training

    settings = start.settings
    return run_training(
        run_context,
        env_config=settings.env,
        model_config=settings.model,
        train_config=settings.train,
        mcts_config=settings.mcts,
        log_level=args.log_level,
        start=start,
    )
