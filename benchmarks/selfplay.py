"""Self-play throughput on this machine: prints figures, asserts nothing.

    uv run python benchmarks/selfplay.py [--seconds 20] [--games 32] [--threads 1]

Reports, for the default network and search settings:
- network-only states/s at the batch size self-play uses (features excluded);
- self-play moves/s and simulations/s for one worker;
- the share of self-play time in the network forward pass, in feature building,
  in the engine (copies and steps) and in the search's own bookkeeping.
Each figure is the median of `--repeats` measurements.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from trianglengin import GameState

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, TrainConfig
from alphatriangle.nn import FeatureExtractor, NeuralNetwork
from alphatriangle.rl import SelfPlayWorker


def network_states_per_second(network: NeuralNetwork, batch: int, seconds: float) -> float:
    states = [GameState(network.env_config, initial_seed=i) for i in range(batch)]
    features = network.features.extract(states)
    grid = torch.from_numpy(features.grid)
    other = torch.from_numpy(features.other)
    with torch.inference_mode():
        for _ in range(3):
            network.model(grid, other)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            network.model(grid, other)
            count += 1
    return batch * count / (time.perf_counter() - start)


def feature_seconds_per_state(env: EnvConfig, batch: int) -> float:
    extractor = FeatureExtractor(env)
    states = [GameState(env, initial_seed=i) for i in range(batch)]
    start = time.perf_counter()
    for _ in range(20):
        extractor.extract(states)
    return (time.perf_counter() - start) / (20 * batch)


def self_play_run(games: int, threads: int, seconds: float, sims: int) -> dict[str, float]:
    train = TrainConfig(games_per_worker=games, worker_torch_threads=threads)
    worker = SelfPlayWorker(
        worker_id=0,
        env_config=EnvConfig(),
        model_config=ModelConfig(),
        mcts_config=AlphaTriangleMCTSConfig(max_simulations=sims),
        train_config=train,
        seed=0,
    )
    worker.play(min_results=0, max_moves=1)  # warm-up
    before = worker.stats()
    start = time.perf_counter()
    moves_before = worker.moves_played
    while time.perf_counter() - start < seconds:
        worker.play(min_results=0, max_moves=1)
    elapsed = time.perf_counter() - start
    after = worker.stats()
    delta = {k: after[k] - before[k] for k in after}
    return {
        "seconds": elapsed,
        "moves_per_s": (worker.moves_played - moves_before) / elapsed,
        "simulations_per_s": delta["simulations"] / elapsed,
        "states_evaluated": delta["states_evaluated"],
        "evaluate_s": delta["evaluate_seconds"],
        "engine_s": delta["expand_seconds"],
        "search_s": delta["select_seconds"] + delta["backward_seconds"],
        "engine_copies_per_simulation": delta["engine_copies"] / max(delta["simulations"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per figure")
    parser.add_argument(
        "--games", type=int, default=TrainConfig().games_per_worker, help="games per worker"
    )
    parser.add_argument("--threads", type=int, default=TrainConfig().worker_torch_threads)
    parser.add_argument(
        "--simulations", type=int, default=AlphaTriangleMCTSConfig().max_simulations
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    env = EnvConfig()
    network = NeuralNetwork(model_config=ModelConfig(), env_config=env, device="cpu", seed=0)
    params = sum(p.numel() for p in network.model.parameters())
    net_rates = [
        network_states_per_second(network, args.games, args.seconds / 3)
        for _ in range(args.repeats)
    ]
    net_rate = statistics.median(net_rates)
    feature_cost = statistics.median(
        feature_seconds_per_state(env, args.games) for _ in range(args.repeats)
    )
    runs = [
        self_play_run(args.games, args.threads, args.seconds, args.simulations)
        for _ in range(args.repeats)
    ]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    forward_s = median["states_evaluated"] / net_rate
    features_s = median["states_evaluated"] * feature_cost
    total = median["seconds"]
    shares = {
        "network forward": forward_s / total,
        "features": features_s / total,
        "engine (copy + step)": median["engine_s"] / total,
        "search bookkeeping": median["search_s"] / total,
    }
    shares["other (evaluator glue, worker)"] = max(0.0, 1.0 - sum(shares.values()))
    figures = {
        "network_params": params,
        "batch": args.games,
        "torch_threads": args.threads,
        "simulations_per_move": args.simulations,
        "network_states_per_s": round(net_rate),
        "selfplay_moves_per_s": round(median["moves_per_s"], 1),
        "selfplay_simulations_per_s": round(median["simulations_per_s"]),
        "simulations_over_network_rate": round(median["simulations_per_s"] / net_rate, 3),
        "engine_copies_per_simulation": round(median["engine_copies_per_simulation"], 3),
        "share_outside_network": round(1.0 - shares["network forward"], 3),
        "time_shares": {k: round(v, 3) for k, v in shares.items()},
    }
    print(f"{'figure':40s} value")
    for key, value in figures.items():
        if key != "time_shares":
            print(f"{key:40s} {value}")
    for key, value in shares.items():
        print(f"  share of self-play time: {key:28s} {value:6.1%}")
    print(json.dumps(figures))
    np.set_printoptions()


if __name__ == "__main__":
    main()
