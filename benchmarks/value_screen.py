"""Screen: can a linear value over board features learn the ply past the refill? Scratch study.

gen: planner games on tuning seeds; at each turn start the C best plans' end boards with
their expectimax value (K deals, hand value). fit: ridge on features. play: one-ply with it.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from alphatriangle.config import EnvConfig  # noqa: E402
from alphatriangle.rl.acting.lockstep import ChosenMoves, play_seeds  # noqa: E402
from alphatriangle.rl.game import EMPTY_SLOT, GameArrays, GameTables  # noqa: E402
from alphatriangle.rl.kernel import hand_features  # noqa: E402
from alphatriangle.rl.kernel.arrays import kernel_arrays  # noqa: E402
from alphatriangle.rl.search.afterstate_value import HandValue, PlanEnds, ValuedBoards  # noqa: E402
from alphatriangle.rl.search.hand_value import DEFAULT_HAND_WEIGHTS  # noqa: E402
from alphatriangle.rl.search.refill_ply import (  # noqa: E402
    draw_deals,
    expected_after_refill,
    refill_candidates,
)
from alphatriangle.rl.search.turn_search import (  # noqa: E402
    best_plan_scores,
    score_plans,
    search_turns,
)

VARIANT = os.environ.get("SCREEN_INPUTS", "rich")


def features(tables: GameTables, occ: NDArray[np.uint64]) -> NDArray[np.float64]:
    if VARIANT == "board":
        from alphatriangle.rl.search.board_inputs import board_inputs

        return board_inputs(tables, occ)
    fit, nb, hand, alive = hand_features(tables, occ, DEFAULT_HAND_WEIGHTS.as_array())
    k = kernel_arrays(tables)
    n = k.total_entries
    nowhere = (fit == 0).astype(np.float64)
    placements = (fit * k.template_entries).sum(1) / n
    p_nowhere = (nowhere * k.template_entries).sum(1) / n
    risk = 1 - (1 - p_nowhere) ** tables.num_slots
    lines = tables.line_bits  # [words, L]
    filled = np.zeros((occ.shape[0], lines.shape[1]), np.int64)
    for w in range(tables.words):
        filled += np.bitwise_count(occ[:, w : w + 1] & lines[w][None, :]).astype(np.int64)
    length = sum(np.bitwise_count(lines[w]).astype(np.int64) for w in range(tables.words))
    empty = length[None, :] - filled
    hist = np.stack([(empty == e).sum(1) for e in range(1, 7)] + [(empty >= 7).sum(1)], 1)
    empties = tables.playable.sum() - sum(
        np.bitwise_count(occ[:, w]).astype(np.int64) for w in range(tables.words)
    )
    cols = [
        np.ones(occ.shape[0]),
        hand,
        alive,
        placements,
        risk,
        nb[:, 0],
        nb[:, 1],
        nb[:, 2],
        nb[:, 3],
        empties,
        *fit.T,
        *np.sqrt(fit).T,
        *nowhere.T,
        *hist.T,
    ]
    return np.stack(cols, 1).astype(np.float64)


def hand_pred(tables: GameTables, occ: NDArray[np.uint64]) -> NDArray[np.float64]:
    fit, nb, hand, alive = hand_features(tables, occ, DEFAULT_HAND_WEIGHTS.as_array())
    return hand + alive * tables.reward_per_step_alive


class LinearValue:
    uses_network = False
    hand_weights = DEFAULT_HAND_WEIGHTS

    def __init__(self, theta: NDArray[np.float64]) -> None:
        self.theta = theta

    def value_boards(self, tables: GameTables, ends: PlanEnds) -> ValuedBoards:
        v = features(tables, ends.occupied) @ self.theta
        return ValuedBoards([v], v)

    def baseline(self, tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
        return np.zeros(occupied.shape[0])

    def game_over_value(self, one_ply: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.zeros_like(one_ply)


class Collect:
    def __init__(self, c: int, k: int) -> None:
        self.c, self.k = c, k
        self.value = HandValue()
        self.boards: list[NDArray[np.uint64]] = []
        self.targets: list[NDArray[np.float64]] = []
        self.group: list[NDArray[np.int64]] = []
        self.groups = 0

    def __call__(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[object],
        rngs: Sequence[np.random.Generator],
    ) -> ChosenMoves:
        value = self.value
        decision = search_turns(tables, positions, value, rngs)
        start = np.flatnonzero((positions.shapes != EMPTY_SLOT).all(1))
        if start.size:
            sub = GameArrays(
                positions.occupied[start], positions.shapes[start], positions.score[start]
            )
            subr = [rngs[i] for i in start]
            scored = score_plans(tables, sub, value)
            best = best_plan_scores(scored, len(sub))
            picks = []
            plans = scored.plans
            bounds = np.searchsorted(plans.root, np.arange(len(sub) + 1))
            for r in range(len(sub)):
                rows = np.arange(bounds[r], bounds[r + 1])
                ranked = np.where(plans.completes[rows], scored.score[rows], -np.inf)
                picks.append(rows[int(np.argmax(ranked))])
            del best
            row, root = refill_candidates(plans, scored.score, np.array(picks), self.c)

            def nxt(p: GameArrays) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
                a = score_plans(tables, p, value)
                return best_plan_scores(a, len(p)), a.afterstates_valued

            exp, _ = expected_after_refill(
                tables,
                plans,
                row,
                root,
                draw_deals(tables, subr, self.k),
                nxt,
                value.game_over_value(scored.score[row] - plans.reward[row]),
            )
            ok = plans.completes[row]
            self.boards.append(plans.end_occupied[row[ok]])
            self.targets.append(exp[ok])
            self.group.append(root[ok] + self.groups)
            self.groups += len(sub)
        return ChosenMoves(decision.action)


class Recorder:
    def __init__(self) -> None:
        self.length = 0

    def before_move(self, state: object, action: int) -> None:
        pass

    def after_move(self, state: object) -> None:
        self.length += 1

    def finish(self, state: object, *, truncated: bool) -> float:
        return float(state.game_score())  # type: ignore[attr-defined]


def gen_share(args: tuple[list[int], int, int]) -> tuple[NDArray, NDArray, NDArray, list[float]]:
    seeds, c, k = args
    col = Collect(c, k)
    scores = play_seeds(
        EnvConfig(),
        seeds,
        col,
        recorder_of=lambda i, s: Recorder(),
        generator_of=lambda s: np.random.default_rng([s, 4]),
        batch_games=8,
    )
    return (
        np.concatenate(col.boards),
        np.concatenate(col.targets),
        np.concatenate(col.group),
        scores,
    )


def play_share(args: tuple[list[int], NDArray[np.float64] | None]) -> list[float]:
    seeds, theta = args
    value = HandValue() if theta is None else LinearValue(theta)

    def choose(tables, positions, states, rngs):  # type: ignore[no-untyped-def]
        return ChosenMoves(search_turns(tables, positions, value, rngs).action)

    return play_seeds(
        EnvConfig(),
        seeds,
        choose,
        recorder_of=lambda i, s: Recorder(),
        generator_of=lambda s: np.random.default_rng([s, 4]),
        batch_games=8,
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--first", type=int, default=10_000)
    p.add_argument("--c", type=int, default=8)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--data", default="/tmp/screen.npz")
    p.add_argument("--ridge", type=float, default=1.0)
    p.add_argument("--demean", action="store_true")
    a = p.parse_args()
    seeds = list(range(a.first, a.first + a.seeds))
    shares = [seeds[i :: a.jobs] for i in range(a.jobs)]
    tables = GameTables.for_env(EnvConfig())
    if a.cmd == "gen":
        t = time.time()
        with ProcessPoolExecutor(a.jobs) as ex:
            parts = list(ex.map(gen_share, [(s, a.c, a.k) for s in shares]))
        off = 0
        groups = []
        for part in parts:
            groups.append(part[2] + off)
            off = groups[-1].max() + 1
        np.savez(
            a.data,
            boards=np.concatenate([x[0] for x in parts]),
            targets=np.concatenate([x[1] for x in parts]),
            group=np.concatenate(groups),
        )
        sc = [s for x in parts for s in x[3]]
        print(f"gen {len(sc)} games mean {np.mean(sc):.1f} in {time.time() - t:.0f}s")
        return
    d = np.load(a.data)
    phi = features(tables, d["boards"])
    y = d["targets"]
    g = d["group"]
    n = len(y)
    idx = np.random.default_rng(0).permutation(np.unique(g))
    test_groups = set(idx[: len(idx) // 5].tolist())
    test = np.array([x in test_groups for x in g])
    X, Y = phi.copy(), y.copy()
    if a.demean:
        for arr in (X, Y):
            sums = np.zeros((g.max() + 1,) + arr.shape[1:])
            np.add.at(sums, g, arr)
            cnt = np.bincount(g, minlength=g.max() + 1).astype(float)
            arr -= (sums / cnt.reshape(-1, *([1] * (arr.ndim - 1))))[g]
    scale = X[~test].std(0) + 1e-9
    scale[0] = 1.0
    Xs = X / scale
    A = Xs[~test].T @ Xs[~test] + a.ridge * np.eye(X.shape[1])
    theta = np.linalg.solve(A, Xs[~test].T @ Y[~test]) / scale
    hand_pred = features.__globals__["hand_pred"](tables, d["boards"])
    for name, pred in (("linear", phi @ theta), ("hand", hand_pred)):
        # within-group ranking agreement: does the top-predicted candidate have the best target
        hits, tot, regret = 0, 0, 0.0
        for grp in test_groups:
            m = np.flatnonzero(g == grp)
            if m.size < 2:
                continue
            tot += 1
            best = m[np.argmax(pred[m])]
            hits += y[best] >= y[m].max() - 1e-9
            regret += y[m].max() - y[best]
        print(f"{name}: top1 {hits / tot:.3f} regret/pos {regret / tot:.3f} ({n} rows)")
    if a.cmd == "fitplay":
        t = time.time()
        ps = list(range(20_000, 20_000 + a.seeds))
        shares = [ps[i :: a.jobs] for i in range(a.jobs)]
        with ProcessPoolExecutor(a.jobs) as ex:
            base = [s for x in ex.map(play_share, [(s, None) for s in shares]) for s in x]
            new = [s for x in ex.map(play_share, [(s, theta) for s in shares]) for s in x]
        diff = np.array(new) - np.array(base)
        print(
            f"planner {np.mean(base):.1f} linear {np.mean(new):.1f} "
            f"diff {diff.mean():+.1f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.1f} "
            f"({len(diff)} games, {time.time() - t:.0f}s)"
        )
        np.save(a.data + ".theta.npy", theta)


if __name__ == "__main__":
    sys.exit(main())
