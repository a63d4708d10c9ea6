"""Self-play and training throughput on this machine: prints figures, asserts nothing.

    uv run python benchmarks/selfplay.py [--seconds 10] [--repeats 3] [--workers 2]

Figures (each the median of `--repeats` measurements), printed as a table and as JSON.
Every ratio is the median of ratios of measurements taken back to back (the network
just before each self-play run, 1 and W workers in alternating pairs, the trainer and
bare torch in alternating pairs): this machine's speed drifts by tens of percent within
minutes, and a ratio of figures taken minutes apart measures the drift.

1. network-only states/s of the default network at the batch self-play uses
   (`games_per_worker`), on the worker's torch threads, features excluded;
2. what one expansion costs the search's array model of the game (a batched step at
   that batch) beside what it cost as a trianglengin copy, step and free (the search
   before the array model); one worker's self-play moves/s and simulations/s, and the
   share of its time in the network forward pass, feature building, the game model,
   the real moves on the engine and the search's bookkeeping;
3. W workers on W cores as Ray actors (no trainer running), as a multiple of one
   worker measured the same way;
4. trainer samples/s at the default batch (sampling, the step, priority updates)
   against a bare torch forward, backward and optimiser step of the same model;
5. the same search with a network of the original AlphaTriangle's size (3.1 M
   parameters, see `original_network.py`) at the original's 64 PUCT simulations,
   with how far the root visits spread;
6. the turn search (the default): the first call of its compiled kernels in a fresh
   process (compiling into an empty numba cache, then loading that cache: what each
   Ray worker pays); one worker's turns/s (afterstates reached) on the compiled kernels
   beside the same worker on the numpy reference of the search (`search.
   turn_plans_reference`, the search before it was compiled), in alternating pairs;
   boards the network valued per turn and per second against the network alone on
   afterstates at the same batch; where the time goes on each path (growth with the
   hand value of every board it finds, the hand value of boards outside it, the
   network, real moves, finished games, glue);
7. the planner's decision on the positions of its own games on seeds 100-104 (no real
   moves): decisions and turns per second on one core, compiled against reference in
   alternating pairs, the positions where both chose the same move, and whole planner
   games per second on the compiled path.

Sections 2, 3 and 5 measure the Gumbel tree search (its defaults but the algorithm);
sections 6 and 7 the turn search. The turn search alone:

    uv run python benchmarks/selfplay.py --skip scaling trainer original
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

import numpy as np
import ray
import torch
from original_network import OriginalSizeEvaluator
from trianglengin import GameState
from turn_kernel_figures import (
    PATHS,
    cold_start_seconds,
    planner_decision_figures,
    search_path,
)

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    GumbelConfig,
    ModelConfig,
    PuctConfig,
    TrainConfig,
    TurnSearchConfig,
)
from alphatriangle.nn import FeatureExtractor, NeuralNetwork, Positions
from alphatriangle.rl import ExperienceBatch, ExperienceBuffer, SelfPlayWorker, Trainer
from alphatriangle.rl.game import (
    GameTables,
    encode_states,
    engine_positions,
    legal_actions,
    positions_of,
    step,
)
from alphatriangle.rl.search import ROOT_INDEX, BatchedSearch, network_afterstate_values

ORIGINAL_SIMULATIONS = 64
ORIGINAL_SIMULATIONS_PER_S = 515.0
"""Search simulations per second of the original AlphaTriangle's self-play with its own
defaults (its C++ trimcts search, 64 simulations, its 3.1 M-parameter network), as it was
measured on the kind of machine these figures come from: the yardstick section 5
is compared with."""


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeats))


def interleaved(
    repeats: int, base: Callable[[], float], other: Callable[[], float]
) -> tuple[float, float, float, list[float]]:
    """Medians of `base` and `other`, the median of their per-pair ratio other/base, and
    the ratios themselves (their spread is the honest error bar).

    The two are measured in pairs, in alternating order: this machine's speed drifts
    by tens of percent within minutes, and a ratio of two measurements taken minutes
    apart would measure the drift.
    """
    bases, others, ratios = [], [], []
    for repeat in range(repeats):
        if repeat % 2 == 0:
            b, o = base(), other()
        else:
            o, b = other(), base()
        bases.append(b)
        others.append(o)
        ratios.append(o / b)
    median_ratio = statistics.median(ratios)
    return statistics.median(bases), statistics.median(others), median_ratio, sorted(ratios)


def start_states(env: EnvConfig, count: int) -> list[GameState]:
    return [GameState(env, initial_seed=i) for i in range(count)]


def start_positions(env: EnvConfig, count: int) -> Positions:
    return engine_positions(GameTables.for_env(env), start_states(env, count))


# --- 1. the network alone ---


def network_states_per_second(
    model: torch.nn.Module, env: EnvConfig, batch: int, seconds: float
) -> float:
    features = FeatureExtractor(env).extract(start_positions(env, batch))
    grid, other = torch.from_numpy(features.grid), torch.from_numpy(features.other)
    with torch.inference_mode():
        for _ in range(3):
            model(grid, other)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            model(grid, other)
            count += 1
    return batch * count / (time.perf_counter() - start)


def feature_seconds_per_state(env: EnvConfig, batch: int) -> float:
    """Building the network's inputs from the array model: positions, then features."""
    tables = GameTables.for_env(env)
    extractor = FeatureExtractor(env)
    states = encode_states(tables, start_states(env, batch))
    legal = legal_actions(tables, states.occupied, states.shapes)
    start = time.perf_counter()
    for _ in range(200):
        extractor.extract(positions_of(tables, states.occupied, states.shapes, legal))
    return (time.perf_counter() - start) / (200 * batch)


def model_microseconds(env: EnvConfig, batch: int, count: int = 300) -> float:
    """What one expansion costs the array model: its share of a batched step of `batch`."""
    tables = GameTables.for_env(env)
    states = encode_states(tables, start_states(env, batch))
    legal = legal_actions(tables, states.occupied, states.shapes)
    actions = np.array([np.flatnonzero(row)[0] for row in legal])
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(count):
        step(tables, states, actions, rng)
    return (time.perf_counter() - start) / (count * batch) * 1e6


def engine_microseconds(env: EnvConfig, count: int = 500) -> dict[str, float]:
    """What one expansion cost when the tree held engine states: copy, step, later free."""
    parent = GameState(env, initial_seed=0)
    action = min(parent.valid_actions())
    start = time.perf_counter()
    copies = [parent.copy() for _ in range(count)]
    copied = time.perf_counter()
    for state in copies:
        state.step(action)
    stepped = time.perf_counter()
    del copies
    freed = time.perf_counter()
    return {
        "copy_us": (copied - start) / count * 1e6,
        "step_us": (stepped - copied) / count * 1e6,
        "free_us": (freed - stepped) / count * 1e6,
    }


# --- 2. one worker ---


TREE_SEARCH = GumbelConfig()
TURN_SEARCH = TurnSearchConfig()


def make_worker(
    games: int, threads: int, worker_id: int = 0, search: AlphaTriangleMCTSConfig = TREE_SEARCH
) -> SelfPlayWorker:
    return SelfPlayWorker(
        worker_id=worker_id,
        env_config=EnvConfig(),
        model_config=ModelConfig(),
        mcts_config=search,
        train_config=TrainConfig(
            games_per_worker=games,
            games_per_worker_at_start=None,  # steady state: every game from the start
            worker_torch_threads=threads,
        ),
        seed=worker_id,
    )


def play_for(
    worker: SelfPlayWorker, seconds: float, after_warm_up: Callable[[], None] | None = None
) -> dict[str, float]:
    """Play whole moves for about `seconds`; the worker's counters over that time
    (`after_warm_up` runs between the warm-up move and the measured ones)."""
    worker.play(min_results=0, max_moves=1)  # warm-up
    if after_warm_up is not None:
        after_warm_up()
    before, moves_before = worker.stats(), worker.moves_played
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        worker.play(min_results=0, max_moves=1)
    elapsed = time.perf_counter() - start
    after = worker.stats()
    delta = {key: after[key] - before[key] for key in after}
    delta["seconds"] = elapsed
    delta["moves"] = worker.moves_played - moves_before
    return delta


def one_worker_figures(
    args: argparse.Namespace, measure_network: Callable[[], float], feature_cost: float
) -> tuple[float, dict[str, Any]]:
    """(network states/s, one worker's figures), the network measured before each run.

    Each run's time shares and simulations-over-network ratio use the network rate
    measured just before it, so the machine's drift does not enter the ratio.
    """
    network_rates, runs = [], []
    for _ in range(args.repeats):
        network_rates.append(measure_network())
        runs.append(play_for(make_worker(args.games, args.threads), args.seconds))

    def per_run(figure: Callable[[dict[str, float], float], float]) -> float:
        pairs = zip(runs, network_rates, strict=True)
        return statistics.median(figure(run, rate) for run, rate in pairs)

    shares = {
        "network forward": per_run(lambda r, rate: r["states_evaluated"] / rate / r["seconds"]),
        "features": per_run(lambda r, _: r["states_evaluated"] * feature_cost / r["seconds"]),
        "game model (expansions)": per_run(lambda r, _: r["expand_seconds"] / r["seconds"]),
        "real moves (engine step, root read)": per_run(
            lambda r, _: r["play_seconds"] / r["seconds"]
        ),
        "search bookkeeping": per_run(
            lambda r, _: (r["select_seconds"] + r["backward_seconds"]) / r["seconds"]
        ),
    }
    shares["other (evaluator glue, worker)"] = max(0.0, 1.0 - sum(shares.values()))
    not_network = ("features", "game model (expansions)", "real moves (engine step, root read)")
    return statistics.median(network_rates), {
        "moves_per_s": per_run(lambda r, _: r["moves"] / r["seconds"]),
        "simulations_per_s": per_run(lambda r, _: r["simulations"] / r["seconds"]),
        "simulations_over_network_rate": per_run(
            lambda r, rate: r["simulations"] / r["seconds"] / rate
        ),
        "expansions_per_simulation": per_run(
            lambda r, _: r["expansions"] / max(r["simulations"], 1)
        ),
        # The budget: engine, features and search bookkeeping together.
        "model_features_bookkeeping_share": sum(shares[name] for name in not_network)
        + shares["search bookkeeping"],
        # One call evaluates a leaf of every game at once: calls per move of one game.
        "network_calls_per_game_move": per_run(
            lambda r, _: r["network_calls"] * args.games / max(r["moves"], 1)
        ),
        "time_shares": shares,
    }


# --- 6. the turn search ---


def afterstate_states_per_second(network: NeuralNetwork, batch: int, seconds: float) -> float:
    """The network alone on afterstates (boards with empty slots) at `batch`, features
    included as the turn search builds them (`network_afterstate_values`)."""
    env = network.env_config
    tables = GameTables.for_env(env)
    boards = encode_states(tables, start_states(env, batch)).occupied
    network_afterstate_values(network, tables, boards)  # warm-up
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        network_afterstate_values(network, tables, boards)
        count += batch
    return count / (time.perf_counter() - start)


def turn_worker_figures(args: argparse.Namespace) -> dict[str, Any]:
    """One turn-search worker on the compiled kernels beside one on the numpy reference
    (the search before it was compiled), in alternating pairs; the network alone on
    afterstates measured before each compiled run."""
    games, threads = args.games, args.threads
    runs: dict[str, list[dict[str, float]]] = {path: [] for path in PATHS}
    network_rates: list[float] = []

    def turn_turns(path: str) -> float:
        worker = make_worker(games, threads, search=TURN_SEARCH)
        if path == "compiled":
            batch = games * (TURN_SEARCH.turn_candidates or 1)
            network_rates.append(
                afterstate_states_per_second(worker.network, batch, args.seconds / 3)
            )
        seconds: dict[str, float] = {}
        with search_path(path, seconds):
            run = play_for(worker, args.seconds, after_warm_up=seconds.clear)
        run.update({f"{name} seconds": value for name, value in seconds.items()})
        runs[path].append(run)
        return run["turns"] / run["seconds"]

    reference, compiled, ratio, ratios = interleaved(
        args.repeats, lambda: turn_turns("reference"), lambda: turn_turns("compiled")
    )

    def per_run(path: str, figure: Callable[[dict[str, float]], float]) -> float:
        return statistics.median(figure(run) for run in runs[path])

    def shares(path: str) -> dict[str, float]:
        parts = {
            "growth (plans, hand value of beam and end boards)": per_run(
                path, lambda r: r.get("growth seconds", 0.0) / r["seconds"]
            ),
            "hand value (boards outside growth)": per_run(
                path, lambda r: r.get("hand value seconds", 0.0) / r["seconds"]
            ),
            "network (features and forward)": per_run(
                path, lambda r: r["network_seconds"] / r["seconds"]
            ),
            "real moves (engine step, positions read)": per_run(
                path, lambda r: r["play_seconds"] / r["seconds"]
            ),
            "finished games (features, targets)": per_run(
                path, lambda r: r["finish_seconds"] / r["seconds"]
            ),
        }
        parts["glue (choosing, candidates, worker)"] = max(0.0, 1.0 - sum(parts.values()))
        return parts

    compiled_runs = zip(runs["compiled"], network_rates, strict=True)
    return {
        "compiled_turns_per_s": compiled,
        "reference_turns_per_s": reference,
        "compiled_over_reference_turns": ratio,
        "compiled_over_reference_of_each_pair": ratios,
        "compiled_moves_per_s": per_run("compiled", lambda r: r["moves"] / r["seconds"]),
        "afterstates_valued_per_turn": per_run(
            "compiled", lambda r: r["afterstates_valued"] / max(r["turns"], 1)
        ),
        "afterstates_valued_per_s": per_run(
            "compiled", lambda r: r["afterstates_valued"] / r["seconds"]
        ),
        "network_alone_afterstates_per_s": statistics.median(network_rates),
        "afterstates_valued_over_network_alone": statistics.median(
            run["afterstates_valued"] / run["seconds"] / rate for run, rate in compiled_runs
        ),
        "afterstates_valued_per_call": per_run(
            "compiled", lambda r: r["afterstates_valued"] / max(r["network_calls"], 1)
        ),
        "time_shares_compiled": shares("compiled"),
        "time_shares_reference": shares("reference"),
    }


# --- 3. W workers ---

ACTOR_EXIT_SECONDS = 3.0
"""Pause after killing the actors, so their exit does not run into the next measurement."""


def worker_scaling(args: argparse.Namespace) -> dict[str, Any]:
    """Moves/s of 1 and of W workers, each a Ray actor playing for `--seconds`."""
    ray.init(address="local", num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    try:
        one, many, speedup, pairs = interleaved(
            args.repeats,
            lambda: _actors_moves_per_s(1, args),
            lambda: _actors_moves_per_s(args.workers, args),
        )
    finally:
        ray.shutdown()
    return {
        "one_worker_moves_per_s": one,
        "w_workers_moves_per_s": many,
        "speedup": speedup,
        "speedup_of_each_pair": pairs,
    }


def _actors_moves_per_s(count: int, args: argparse.Namespace) -> float:
    remote: Any = ray.remote(num_cpus=1)(_TimedWorker)
    actors = [remote.remote(args.games, args.threads, i) for i in range(count)]
    ray.get([a.ready.remote() for a in actors])  # nobody measures while another imports
    moves: list[float] = ray.get([a.moves_in.remote(args.seconds) for a in actors])
    for actor in actors:
        ray.kill(actor)
    time.sleep(ACTOR_EXIT_SECONDS)
    return float(sum(moves) / args.seconds)


class _TimedWorker:
    """A worker that plays for a wall-clock span once warm (a Ray actor body)."""

    def __init__(self, games: int, threads: int, worker_id: int) -> None:
        self.worker = make_worker(games, threads, worker_id)

    def ready(self) -> bool:
        return True

    def moves_in(self, seconds: float) -> float:
        run = play_for(self.worker, seconds)
        return float(run["moves"] * seconds / run["seconds"])


# --- 4. the trainer ---


def filled_buffer(env: EnvConfig, config: TrainConfig, size: int) -> ExperienceBuffer:
    """A buffer of real positions (random play) with valid random targets."""
    rng = np.random.default_rng(0)
    extractor = FeatureExtractor(env)
    states: list[GameState] = []
    seed = 0
    while len(states) < size:
        state = GameState(env, initial_seed=seed)
        seed += 1
        while not state.is_over() and len(states) < size:
            states.append(state.copy())
            state.step(int(rng.choice(sorted(state.valid_actions()))))
    features = extractor.extract(engine_positions(GameTables.for_env(env), states))
    legal = features.legal_mask(extractor.spec.num_slots)
    policy = rng.random(legal.shape).astype(np.float32) * legal
    policy /= np.maximum(policy.sum(axis=1, keepdims=True), 1e-9)
    buffer = ExperienceBuffer.from_config(config, seed=0)
    buffer.add(
        ExperienceBatch(
            grid=features.grid,
            other=features.other,
            policy_target=policy,
            value_target=rng.uniform(0, 30, size).astype(np.float32),
        )
    )
    return buffer


def trainer_figures(args: argparse.Namespace) -> dict[str, Any]:
    env, config = EnvConfig(), TrainConfig()
    buffer = filled_buffer(env, config, 2 * config.batch_size)
    network = NeuralNetwork(model_config=ModelConfig(), env_config=env, device="cpu", seed=0)
    trainer = Trainer(network=network, config=config)

    def trainer_rate() -> float:
        return _steps_per_second(args.seconds / 2, lambda: _loop_step(trainer, buffer, config))

    batch = buffer.sample(config.batch_size)
    grid = torch.from_numpy(batch.experiences.grid)
    other = torch.from_numpy(batch.experiences.other)
    policy_target = torch.from_numpy(batch.experiences.policy_target)
    value_atoms = torch.randint(0, ModelConfig().value_atoms, (config.batch_size,))
    model = network.model
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)

    def bare_step() -> None:
        model.train()
        policy_logits, value_logits = model(grid, other)
        loss = -(policy_target * torch.log_softmax(policy_logits, 1)).sum(1).mean()
        loss = loss + torch.nn.functional.cross_entropy(value_logits, value_atoms)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()

    def bare_rate() -> float:
        return _steps_per_second(args.seconds / 2, bare_step)

    bare_steps, trainer_steps, ratio, pairs = interleaved(args.repeats, bare_rate, trainer_rate)
    return {
        "batch": config.batch_size,
        "trainer_samples_per_s": trainer_steps * config.batch_size,
        "bare_torch_samples_per_s": bare_steps * config.batch_size,
        "trainer_over_bare": ratio,
        "trainer_over_bare_of_each_pair": pairs,
    }


def _loop_step(trainer: Trainer, buffer: ExperienceBuffer, config: TrainConfig) -> None:
    batch = buffer.sample(config.batch_size, global_step=trainer.global_step)
    outcome = trainer.train_step(batch)
    buffer.update_priorities(batch.indices, outcome.value_errors)


def _steps_per_second(seconds: float, step: Callable[[], None]) -> float:
    for _ in range(3):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - start)


# --- 5. the original's network size ---


def original_size_figures(args: argparse.Namespace) -> dict[str, float]:
    env = EnvConfig()
    evaluator = OriginalSizeEvaluator(env)
    network_rate = median_of(
        args.repeats,
        lambda: network_states_per_second(evaluator.model, env, args.games, args.seconds / 3),
    )
    config = PuctConfig(max_simulations=ORIGINAL_SIMULATIONS)
    search = BatchedSearch(env_config=env, config=config, num_games=args.games)
    states = start_states(env, args.games)
    rngs = np.random.default_rng(0).spawn(args.games)
    visited_children: list[float] = []
    top_share: list[float] = []
    depths: list[float] = []
    start = time.perf_counter()
    simulations = 0
    while time.perf_counter() - start < args.seconds:
        roots = encode_states(search.tables, states)
        result = search.run(roots, evaluator, rngs, temperature=1.0, add_noise=True)
        simulations += int(result.simulations.sum())
        visits = result.visit_counts.astype(np.float64)
        visited_children.append(float((visits > 0).sum(axis=1).mean()))
        top_share.append(float((visits.max(axis=1) / np.maximum(visits.sum(axis=1), 1)).mean()))
        depths.append(_mean_node_depth(search))
        for game, state in enumerate(states):
            if state.step(int(result.action[game]))[1]:
                states[game] = GameState(env, initial_seed=10_000 + game + simulations)
                rngs[game] = np.random.default_rng(10_000 + game + simulations)
    elapsed = time.perf_counter() - start
    rate = simulations / elapsed
    return {
        "parameters": evaluator.parameters,
        "network_states_per_s": network_rate,
        "simulations_per_s": rate,
        "over_original_515": rate / ORIGINAL_SIMULATIONS_PER_S,
        "root_children_visited": statistics.mean(visited_children),
        "most_visited_child_share": statistics.mean(top_share),
        "mean_node_depth": statistics.mean(depths),
    }


def _mean_node_depth(search: BatchedSearch) -> float:
    """Mean depth of the nodes below the roots (1 = every simulation stopped at a child)."""
    tree, depths = search.tree, []
    for game in range(search.num_games):
        for node in range(1, int(tree.num_nodes[game])):
            depth, current = 0, node
            while current != ROOT_INDEX:
                current = int(tree.parents[game, current])
                depth += 1
            depths.append(depth)
    return float(statistics.mean(depths)) if depths else 0.0


# --- report ---


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per figure")
    parser.add_argument("--games", type=int, default=TrainConfig().games_per_worker)
    parser.add_argument("--threads", type=int, default=TrainConfig().worker_torch_threads)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["scaling", "trainer", "original", "turn", "planner"],
        help="sections to leave out",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    env = EnvConfig()
    network = NeuralNetwork(model_config=ModelConfig(), env_config=env, device="cpu", seed=0)
    feature_cost = median_of(args.repeats, lambda: feature_seconds_per_state(env, args.games))
    engine_runs = [engine_microseconds(env) for _ in range(args.repeats)]
    engine = {key: statistics.median(run[key] for run in engine_runs) for key in engine_runs[0]}
    engine_us = sum(engine.values())
    engine["ceiling_simulations_per_s"] = 1e6 / engine_us
    model_us = median_of(args.repeats, lambda: model_microseconds(env, args.games))
    game_model = {
        "step_us_per_expansion": model_us,
        "ceiling_simulations_per_s": 1e6 / model_us,
        "engine_copy_step_free_over_model": engine_us / model_us,
    }
    network_rate, one_worker = one_worker_figures(
        args,
        lambda: network_states_per_second(network.model, env, args.games, args.seconds / 3),
        feature_cost,
    )
    figures: dict[str, Any] = {
        "network": {
            "parameters": sum(p.numel() for p in network.model.parameters()),
            "batch": args.games,
            "torch_threads": args.threads,
            "states_per_s": network_rate,
        },
        "engine_as_tree_nodes": engine,
        "game_model": game_model,
        "one_worker": one_worker,
    }
    if "scaling" not in args.skip:
        figures["workers"] = {"count": args.workers, **worker_scaling(args)}
    if "trainer" not in args.skip:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) - 1))
        figures["trainer"] = trainer_figures(args)
    if "original" not in args.skip:
        torch.set_num_threads(os.cpu_count() or 1)
        figures["original_size_network"] = original_size_figures(args)
    if "turn" not in args.skip:
        torch.set_num_threads(args.threads)
        figures["turn_kernels"] = cold_start_seconds()
        figures["turn_worker"] = turn_worker_figures(args)
    if "planner" not in args.skip:
        figures["planner_decision"] = planner_decision_figures(args.repeats)
    _print_table(figures)
    print(json.dumps(_rounded(figures)))


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


def _print_table(figures: dict[str, Any]) -> None:
    print(f"{'section':24s} {'figure':40s} value")
    for section, values in figures.items():
        for key, value in values.items():
            if isinstance(value, dict):
                for name, share in value.items():
                    print(f"{section:24s} {'share: ' + name:40s} {share:7.1%}")
            elif isinstance(value, list):
                print(f"{section:24s} {key:40s} {', '.join(f'{v:.3f}' for v in value)}")
            else:
                shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
                print(f"{section:24s} {key:40s} {shown}")


if __name__ == "__main__":
    main()
