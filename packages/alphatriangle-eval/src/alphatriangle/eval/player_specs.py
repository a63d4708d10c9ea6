"""`--player` specifications of `uv run apps/eval` turned into players.

    random | greedy | mobility | planner
                                    a baseline (alphatriangle.rl.evaluation)
    ckpt:PATH                       the network of a checkpoint file
    run:NAME[:latest|:best]         the run's latest (or best) checkpoint, where its
                                    RunContext puts it under the data root

A network plays with the search its checkpoint was trained with (recorded in the
checkpoint; the `[mcts]` fields given explicitly apply on top): the turn search with its
afterstate value, or a tree search at `max_simulations` per move; or by its raw policy.
Every input error (unknown name, missing or unreadable checkpoint, a checkpoint for
another board or network shape) is an `EvalInputError` whose message names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    RunContext,
    search_config,
)
from alphatriangle.config.config_file import describe_errors
from alphatriangle.nn import (
    BoardMismatchError,
    CheckpointMismatchError,
    NeuralNetwork,
    check_same_board,
)
from alphatriangle.rl import trained_search_config
from alphatriangle.rl.evaluation import (
    BASELINES,
    Player,
    PolicyPlayer,
    search_player,
)

CHECKPOINT_KINDS = ("latest", "best")


class EvalInputError(ValueError):
    """Bad input to the evaluation app: the message names the argument or file."""


@dataclass(frozen=True, slots=True)
class PlayerSpec:
    """A parsed `--player` value."""

    text: str
    baseline: str | None = None
    checkpoint: Path | None = None
    run_name: str | None = None


def parse_spec(text: str, data_root: Path) -> PlayerSpec:
    """The player `text` names; unknown names are errors that list the valid forms."""
    if text in BASELINES:
        return PlayerSpec(text, baseline=text)
    if text.startswith("ckpt:") and len(text) > len("ckpt:"):
        return PlayerSpec(text, checkpoint=Path(text[len("ckpt:") :]).expanduser().resolve())
    if text.startswith("run:"):
        parts = text.split(":")
        if len(parts) in (2, 3) and parts[1]:
            kind = parts[2] if len(parts) == 3 else "latest"
            if kind not in CHECKPOINT_KINDS:
                raise EvalInputError(
                    f"--player {text}: checkpoint {kind!r} of a run must be 'latest' or 'best'"
                )
            try:
                run = RunContext(run_name=parts[1], data_root=data_root)
            except ValueError:
                raise EvalInputError(f"--player {text}: {parts[1]!r} is not a run name") from None
            checkpoint = run.best_checkpoint_path if kind == "best" else run.latest_checkpoint_path
            return PlayerSpec(text, checkpoint=checkpoint, run_name=parts[1])
    raise EvalInputError(
        f"unknown player {text!r}: use one of {', '.join(BASELINES)}, ckpt:PATH or "
        "run:NAME[:latest|:best]"
    )


def load_network(spec: PlayerSpec, device: str) -> NeuralNetwork:
    """The network of a checkpoint player, rebuilt from the shape its file records."""
    assert spec.checkpoint is not None
    try:
        return NeuralNetwork.from_checkpoint(spec.checkpoint, device=device)
    except FileNotFoundError:
        hint = f" (run {spec.run_name} has no such checkpoint yet)" if spec.run_name else ""
        raise EvalInputError(
            f"--player {spec.text}: checkpoint {spec.checkpoint} does not exist{hint}"
        ) from None
    except CheckpointMismatchError as error:
        raise EvalInputError(f"--player {spec.text}: {error}") from None


def check_board(spec: PlayerSpec, network: NeuralNetwork, env_config: EnvConfig) -> None:
    """Refuse a checkpoint for another board than the one being evaluated, naming both."""
    try:
        check_same_board(
            network.env_config,
            env_config,
            recorded_by=f"checkpoint {spec.checkpoint}",
            expected_by="the evaluation plays",
        )
    except BoardMismatchError as error:
        raise EvalInputError(f"--player {spec.text}: {error}") from None


LEGACY_SEARCH: Literal["gumbel"] = "gumbel"
"""The search of checkpoints that record none: they were written before the turn search
existed, when Gumbel AlphaZero was the default and every network was trained by it."""


def search_for(spec: PlayerSpec, explicit: Mapping[str, Any]) -> AlphaTriangleMCTSConfig:
    """The search a checkpoint player plays with: the one its checkpoint records (the search
    it was trained with; `LEGACY_SEARCH` for a checkpoint that records none), with the
    `[mcts]` fields the user set explicitly (`--config`, `--simulations`) on top. An
    explicit `algorithm` other than the recorded one plays that search with its defaults
    and the explicit fields (the recorded search's fields do not act in it)."""
    assert spec.checkpoint is not None
    try:
        recorded = trained_search_config(spec.checkpoint)
    except CheckpointMismatchError as error:
        raise EvalInputError(f"--player {spec.text}: {error}") from None
    base = recorded or search_config(algorithm=LEGACY_SEARCH)
    values = dict(explicit)
    if values.get("algorithm", base.algorithm) == base.algorithm:
        values = {**base.model_dump(), **values}
    try:
        return search_config(values)
    except ValidationError as error:
        raise EvalInputError(f"--player {spec.text}: {describe_errors('mcts', error)}") from None
    except ValueError as error:
        raise EvalInputError(f"--player {spec.text}: [mcts] {error}") from None


def build_player(
    spec: PlayerSpec,
    network: NeuralNetwork | None,
    *,
    mcts_config: AlphaTriangleMCTSConfig,
    raw_policy: bool,
    batch_games: int,
) -> Player:
    """The player for `spec` (its network already loaded for checkpoint players), playing
    with `mcts_config`'s search."""
    if spec.baseline is not None:
        return BASELINES[spec.baseline]()
    assert network is not None
    if raw_policy:
        return PolicyPlayer(network, batch_games=batch_games, name=f"{spec.text} (policy)")
    return search_player(network, mcts_config, batch_games=batch_games, label=spec.text)
