"""The moves and training positions every player and search produced before the acting
code was reorganised, replayed by `test_recorded_play.py`: a refactor must not change a
move, a score or a target.

`uv run python packages/alphatriangle-rl/tests/recorded_play.py` writes the record
again (only when behaviour is meant to change).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import SelfPlayWorker
from alphatriangle.rl.evaluation import (
    BASELINES,
    PolicyPlayer,
    SearchPlayer,
    TurnSearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.search import HandPlusNetworkValue, HandValue, NetworkValue

RECORD = Path(__file__).parent / "data" / "recorded_play.json"
MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16, value_atoms=21)
SEEDS = evaluation_seeds(3)
MAX_MOVES = 40


def fixed_network(env: EnvConfig) -> NeuralNetwork:
    """A small network whose value is not 0 everywhere: seeded, then perturbed."""
    network = NeuralNetwork(model_config=MODEL, env_config=env, device="cpu", seed=0)
    generator = torch.Generator().manual_seed(11)
    weights = {
        name: tensor + 0.3 * torch.randn(tensor.shape, generator=generator)
        if tensor.is_floating_point()
        else tensor
        for name, tensor in network.get_weights().items()
    }
    network.set_weights(weights)
    return network


def _games(player: Any, env: EnvConfig) -> list[dict[str, Any]]:
    records = player.play(env, SEEDS, max_moves=MAX_MOVES, record_games=len(SEEDS))
    return [
        {
            "seed": r.seed,
            "score": r.score,
            "length": r.length,
            "moves": [f.action for f in r.frames],
        }
        for r in records
    ]


def _self_play(search: dict[str, Any], env: EnvConfig, network: NeuralNetwork) -> list[Any]:

    worker = SelfPlayWorker(
        worker_id=3,
        env_config=env,
        model_config=MODEL,
        mcts_config=search_config(**search),
        train_config=TrainConfig(games_per_worker=2, max_episode_length=24),
        seed=17,
        initial_weights=network.get_weights(),
    )
    results = worker.play(min_results=3)
    return [
        {
            "seed": r.seed,
            "score": r.score,
            "length": r.length,
            "value_target": [round(float(v), 6) for v in r.experiences.value_target],
            "policy_sum": round(float(np.abs(r.experiences.policy_target).sum()), 4),
            "grid_sum": int(r.experiences.grid.sum()),
        }
        for r in results
    ]


def players(env: EnvConfig, network: NeuralNetwork) -> dict[str, Any]:
    """Name -> player, each as the code before the reorganisation built it."""

    turn = search_config(**RECORDED_TURN)
    return {
        **{name: BASELINES[name]() for name in sorted(BASELINES)},
        "turn-hand": TurnSearchPlayer(HandValue(), turn),
        "turn-network": TurnSearchPlayer(NetworkValue(network), turn),
        "turn-hand+network": TurnSearchPlayer(
            HandPlusNetworkValue(network, correction_bound=3.0), turn
        ),
        "gumbel": SearchPlayer(network, search_config(algorithm="gumbel"), simulations=8),
        "puct": SearchPlayer(network, search_config(algorithm="puct"), simulations=8),
        "policy": PolicyPlayer(network),
    }


RECORDED_TURN: dict[str, Any] = {
    "algorithm": "turn",
    "turn_value": "hand+network",
    "turn_refill_candidates": 0,
}
"""The turn search's settings when these games were recorded (the defaults then)."""

SELF_PLAY: dict[str, dict[str, Any]] = {
    "turn": {**RECORDED_TURN},
    "turn-temperature": {**RECORDED_TURN, "turn_temperature": 2.0},
    "turn-network": {**RECORDED_TURN, "turn_value": "network"},
    "gumbel": {"algorithm": "gumbel", "max_simulations": 4, "gumbel_max_considered_actions": 4},
    "puct": {"algorithm": "puct", "max_simulations": 4},
}


def record() -> dict[str, Any]:
    torch.set_num_threads(1)
    env = EnvConfig()
    network = fixed_network(env)
    return {
        "play": {name: _games(p, env) for name, p in players(env, network).items()},
        "self_play": {name: _self_play(s, env, network) for name, s in SELF_PLAY.items()},
    }


if __name__ == "__main__":
    RECORD.write_text(json.dumps(record(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RECORD}")
