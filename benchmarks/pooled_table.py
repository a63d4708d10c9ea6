"""Pool the games of several `apps/eval` results into one paired table. Figures, not a test.

A gain of 35 points has a paired standard error near 35 at 100 games: showing it takes
about 400. The first 100 evaluation seeds stay the ones everyone quotes; the games after
them are played by further `apps/eval --first-seed 2147483748 --games N` calls, and this
script puts every player's games together, seed by seed, and prints its mean and its
paired difference to each reference over the seeds both played:

    uv run python benchmarks/pooled_table.py first100.json more300.json \
        "one ply=oneply.json" --reference planner --reference expectimax

A file given as `LABEL=PATH` adds the label to its players' names, so the same checkpoint
played another way (at one ply) stays apart. A seed a player played in two files must
have the same score in both (the same game), or the files do not pool.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

Games = dict[int, float]
"""A player's score on each seed it played."""


def pooled_games(sources: list[str]) -> dict[str, Games]:
    """Every player's games over all `sources` (`PATH` or `LABEL=PATH`), by seed."""
    players: dict[str, Games] = {}
    for source in sources:
        label, _, path = source.rpartition("=")
        results = json.loads(Path(path).read_text())
        for player in results["players"]:
            name = f"{player['name']} {label}".strip()
            games = players.setdefault(name, {})
            for seed, score in games_of(player).items():
                if seed in games and abs(games[seed] - score) > 1e-9:
                    raise ValueError(
                        f"{path}: {name} scored {score} on seed {seed}, "
                        f"another file has {games[seed]}"
                    )
                games[seed] = score
    return players


def games_of(player: dict[str, Any]) -> Games:
    """One `apps/eval` player's scores by seed."""
    return {int(game["seed"]): float(game["score"]) for game in player["per_game"]}


def paired_difference(games: Games, reference: Games) -> tuple[float, float, int] | None:
    """(mean, standard error of the mean, games) of the game-by-game differences over the
    seeds both played; None for fewer than two, or a player paired with itself."""
    seeds = sorted(set(games) & set(reference))
    if len(seeds) < 2 or games is reference:
        return None
    differences = [games[s] - reference[s] for s in seeds]
    error = statistics.stdev(differences) / len(seeds) ** 0.5
    return statistics.mean(differences), error, len(seeds)


def paired(games: Games, reference: Games) -> str:
    """`+d ± se (n)`, or "" where `paired_difference` has none."""
    found = paired_difference(games, reference)
    return "" if found is None else f"{found[0]:+.1f} ± {found[1]:.1f} ({found[2]})"


def table(players: dict[str, Games], references: list[str]) -> str:
    """Markdown: each player's games, mean, and paired differences to `references`."""
    missing = [name for name in references if name not in players]
    if missing:
        raise ValueError(f"no player named {missing} (players: {sorted(players)})")
    versus = " | ".join(f"vs {name} (paired, ± se (games))" for name in references)
    lines = [
        f"| player | games | mean | {versus} |",
        f"| --- | --- | --- | {' | '.join('---' for _ in references)} |",
    ]
    for name, games in players.items():
        cells = " | ".join(paired(games, players[r]) for r in references)
        lines.append(f"| {name} | {len(games)} | {statistics.mean(games.values()):.2f} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="results.json of apps/eval, or LABEL=PATH")
    parser.add_argument(
        "--reference", action="append", default=[], help="paired with this player (repeatable)"
    )
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    try:
        text = table(pooled_games(args.results), args.reference)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
