"""The command line of `uv run apps/eval`: play players side by side on the same seeds.

Writes a rich table to the console and, into the output folder (default
`<data>/AlphaTriangle/eval/<timestamp>/`, or `--out DIR`): `results.json`,
`scores.png` (score distributions), `learning_curve_<run>.png` for each run asked
for, and `games/<player>_seed<seed>.gif` for the first `--render K` games.
Bad input (unknown player, missing or unreadable checkpoint, a checkpoint for another
board or network shape, a run without MLflow metrics) exits 2 with a message naming
it, before any game is played.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from alphatriangle.config import (
    DATA_DIR_NAME,
    AlphaTriangleMCTSConfig,
    AppPaths,
    ConfigFileError,
    ConfigOverrides,
    EnvConfig,
    GumbelConfig,
    read_config_file,
)
from alphatriangle.config.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from alphatriangle.config.help_format import DefaultsOnceFormatter, config_default
from alphatriangle.config.mcts_config import search_holding
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.evaluation import (
    BASELINES,
    DEFAULT_BATCH_GAMES,
    EVAL_SEED_BASE,
    PlayerSummary,
    evaluation_seeds,
    torch_threads,
)

from .player_specs import (
    EvalInputError,
    build_player,
    check_board,
    load_network,
    parse_spec,
    search_for,
)
from .plots import LearningCurve, learning_curve, plot_learning_curve, plot_scores
from .progress import play_all
from .render import render_game
from .report import print_table, write_json

DEFAULT_PLAYERS = tuple(BASELINES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uv run apps/eval",
        description=(
            "Play AlphaTriangle players side by side on the same fixed seeds and report "
            "their scores (table, JSON, PNG charts, optional GIFs of games)."
        ),
        formatter_class=DefaultsOnceFormatter,
    )
    parser.add_argument(
        "--player",
        action="append",
        dest="players",
        metavar="SPEC",
        help=f"a player, repeatable: {', '.join(BASELINES)} (baselines), ckpt:PATH "
        "(a checkpoint file) or run:NAME[:latest|:best] (a run's checkpoint under the "
        f"data dir) (default: {', '.join(DEFAULT_PLAYERS)})",
    )
    parser.add_argument("--games", type=int, default=100, help="games per player")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=EVAL_SEED_BASE,
        help="seed of the first game; the default range is one self-play never uses",
    )
    parser.add_argument(
        "--simulations",
        type=int,
        default=None,
        help="simulations per move of network players that play a tree search (the search "
        "a checkpoint records, or [mcts] algorithm); an error for one that plays the turn "
        f"search (default: from [mcts], {config_default(GumbelConfig, 'max_simulations')})",
    )
    parser.add_argument(
        "--raw-policy",
        action="store_true",
        help="network players play the most probable move of their policy, without search",
    )
    parser.add_argument(
        "--max-moves",
        type=int,
        default=None,
        help="stop a game after this many moves (default: no limit)",
    )
    parser.add_argument(
        "--batch-games",
        type=int,
        default=DEFAULT_BATCH_GAMES,
        help="games a network player plays at once (one network call per round)",
    )
    parser.add_argument(
        "--render",
        type=int,
        default=0,
        metavar="K",
        help="write the first K games of each player as animated GIFs",
    )
    parser.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="NAME",
        help="also plot this run's learning curve from its MLflow metrics "
        "(repeatable; default: none)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(DATA_DIR_NAME), help="root of all AlphaTriangle data"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: <data-dir>/AlphaTriangle/eval/<timestamp>)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file whose [env] and [mcts] tables set the board and the search",
    )
    parser.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], default="cpu", help="device of the networks"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads; evaluation batches are small, and more threads contend for cores",
    )
    return parser


def _check_counts(args: argparse.Namespace) -> None:
    for flag, value, least in (
        ("--games", args.games, 1),
        ("--batch-games", args.batch_games, 1),
        ("--render", args.render, 0),
        ("--simulations", args.simulations, 1),
        ("--max-moves", args.max_moves, 1),
        ("--threads", args.threads, 1),
    ):
        if value is not None and value < least:
            raise EvalInputError(f"{flag} must be at least {least}, got {value}")


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "player"


def _load_settings(
    args: argparse.Namespace,
) -> tuple[EnvConfig | None, AlphaTriangleMCTSConfig, dict[str, Any]]:
    """(the board, the search, the `[mcts]` fields set explicitly: by --config or
    --simulations, which apply on top of the search a checkpoint records)."""
    overrides = read_config_file(args.config) if args.config else ConfigOverrides()
    if args.config is not None:
        unused = sorted(set(overrides.sections) - {"env", "mcts"})
        if unused:
            print(
                f"note: {args.config}: [{'], ['.join(unused)}] ignored by evaluation",
                file=sys.stderr,
            )
    if args.simulations is not None:
        overrides.set("mcts", "max_simulations", args.simulations)
    source = f"config file {args.config}" if args.config else "arguments"
    explicit = overrides.sections.get("mcts", {})
    mcts: AlphaTriangleMCTSConfig = overrides.build(
        "mcts", source, under={"algorithm": search_holding(explicit)}
    )
    env: EnvConfig | None = overrides.build("env", source) if "env" in overrides.sections else None
    return env, mcts, dict(overrides.sections.get("mcts", {}))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Not a terminal (a pipe, a log file): wide enough that player names are not cut.
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        _check_counts(args)
        seeds = evaluation_seeds(args.games, first=args.first_seed)
        env, mcts, explicit_mcts = _load_settings(args)
        data_root = args.data_dir.expanduser().resolve()
        specs = [parse_spec(text, data_root) for text in args.players or DEFAULT_PLAYERS]
        networks: dict[str, NeuralNetwork] = {}
        searches: dict[str, AlphaTriangleMCTSConfig] = {}
        for spec in specs:
            if spec.checkpoint is not None:
                networks[spec.text] = load_network(spec, args.device)
                searches[spec.text] = search_for(spec, explicit_mcts)
                if env is None:
                    env = networks[spec.text].env_config
                check_board(spec, networks[spec.text], env)
        env = env or EnvConfig()
        app = AppPaths(data_root)
        curves = [learning_curve(app, name) for name in dict.fromkeys(args.run)]
    except (EvalInputError, ConfigFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    players = [
        build_player(
            spec,
            networks.get(spec.text),
            mcts_config=searches.get(spec.text, mcts),
            raw_policy=args.raw_policy,
            batch_games=args.batch_games,
        )
        for spec in specs
    ]
    out = (args.out or app.evaluations_dir / datetime.now().strftime("%Y%m%d_%H%M%S")).resolve()
    console.print(
        f"Playing {len(seeds)} games per player on seeds {seeds[0]}..{seeds[-1]}, "
        f"board {env.ROWS}x{env.COLS} with {env.NUM_SHAPE_SLOTS} shape slots"
    )
    with torch_threads(args.threads):
        summaries = play_all(
            players, seeds, env, console, max_moves=args.max_moves, record_games=args.render
        )
    _write_outputs(args, out, seeds, env, mcts, summaries, curves, console)
    return EXIT_OK


def _write_outputs(
    args: argparse.Namespace,
    out: Path,
    seeds: list[int],
    env: EnvConfig,
    mcts: AlphaTriangleMCTSConfig,
    summaries: list[PlayerSummary],
    curves: list[LearningCurve],
    console: Console,
) -> None:
    title = f"{len(seeds)} games on seeds {seeds[0]}..{seeds[-1]}"
    print_table(summaries, title, console)
    files: dict[str, str] = {}
    files["scores"] = str(plot_scores(summaries, out / "scores.png", title))
    for curve in curves:
        path = plot_learning_curve(
            curve, out / f"learning_curve_{_file_name(curve.run_name)}.png", summaries
        )
        files[f"learning_curve:{curve.run_name}"] = str(path)
    for summary in summaries:
        for record in summary.games[: args.render]:
            gif = out / "games" / f"{_file_name(summary.name)}_seed{record.seed}.gif"
            files[f"game:{summary.name}:{record.seed}"] = str(
                render_game(record, env, gif, summary.name)
            )
    settings = {
        "seeds": seeds,
        "env": env.model_dump(),
        "mcts": mcts.model_dump(),
        "raw_policy": args.raw_policy,
        "max_moves": args.max_moves,
        "files": files,
    }
    files["json"] = str(write_json(out / "results.json", summaries, settings))
    for label, written in files.items():
        console.print(f"{label}: {written}")
