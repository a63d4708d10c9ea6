"""Evaluation: baselines rank as they must, players replay the same games on the same seeds,
network players search or follow their policy with noise off, and seeds never overlap self-play."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from trianglengin import GameState

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.nn import BatchEvaluation, BoardMismatchError, NeuralNetwork, Positions
from alphatriangle.rl import SelfPlayWorker, metric_names
from alphatriangle.rl.evaluation import (
    BASELINES,
    ENGINE_SEED_END,
    EVAL_SEED_BASE,
    GameRecord,
    PolicyPlayer,
    SearchPlayer,
    evaluate,
    evaluate_network,
    evaluate_weights,
    evaluation_seeds,
    torch_threads,
)
from alphatriangle.rl.game import GameTables, engine_positions
from alphatriangle.rl.self_play import SELF_PLAY_SEED_END

SEARCH = search_config(algorithm="gumbel", max_simulations=4, gumbel_max_considered_actions=4)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """As evaluation runs: small batches, and the 2 cores are shared with other processes."""
    with torch_threads(1):
        yield


@pytest.fixture
def small_network(small_board: EnvConfig, tiny_model: ModelConfig) -> NeuralNetwork:
    return NeuralNetwork(model_config=tiny_model, env_config=small_board, device="cpu", seed=0)


def test_a_network_refuses_to_play_another_board(small_network: NeuralNetwork) -> None:
    for player in (SearchPlayer(small_network, SEARCH), PolicyPlayer(small_network)):
        with pytest.raises(BoardMismatchError, match=r"6x9 with 2 shape slots.*8x15 with 3"):
            player.play(EnvConfig(), [EVAL_SEED_BASE])


def outcome(record: GameRecord) -> tuple[int, float, int, int, bool]:
    return (record.seed, record.score, record.length, record.triangles_cleared, record.truncated)


def test_baselines_rank_random_greedy_mobility_planner(small_board: EnvConfig) -> None:
    seeds = evaluation_seeds(12)
    summaries = evaluate([cls() for cls in BASELINES.values()], seeds, small_board)
    random, greedy, mobility, planner, expectimax = summaries
    assert [s.name for s in summaries] == ["random", "greedy", "mobility", "planner", "expectimax"]
    for summary in summaries:
        assert summary.seeds == seeds
        assert summary.p10_score <= summary.median_score <= summary.p90_score
        assert summary.best_score == max(summary.scores)
        assert summary.seconds_per_move > 0
    # Measured on these 12 seeds: random 1.2, greedy 9.1, mobility 19.2, planner 41.2.
    assert random.mean_score < 3.0
    assert greedy.mean_score > random.mean_score + 4.0
    assert mobility.mean_score > greedy.mean_score + 4.0
    assert planner.mean_score > mobility.mean_score + 10.0
    assert planner.median_score > mobility.median_score
    assert planner.mean_length > mobility.mean_length > random.mean_length
    assert mobility.mean_triangles_cleared > random.mean_triangles_cleared
    # Looking one refill further pays: the expectimax baseline outscores the planner here.
    assert expectimax.mean_score > planner.mean_score


def test_a_game_is_replayed_exactly_on_its_seed(small_board: EnvConfig) -> None:
    seeds = evaluation_seeds(5, first=EVAL_SEED_BASE + 100)
    for name, player_class in BASELINES.items():
        forward = player_class().play(small_board, seeds)
        backward = player_class().play(small_board, seeds[::-1])
        assert [outcome(r) for r in forward] == [outcome(r) for r in backward[::-1]], name
        assert len({r.score for r in forward}) > 1, f"{name}: different seeds, different games"


def test_recorded_games_hold_every_position_and_the_end(small_board: EnvConfig) -> None:
    seeds = evaluation_seeds(3)
    records = BASELINES["mobility"]().play(small_board, seeds, record_games=2)
    for record in records[:2]:
        assert len(record.frames) == record.length + 1
        assert [f.action for f in record.frames[:-1]] == [
            f.action for f in record.frames[:-1] if f.action >= 0
        ]
        assert record.frames[-1].action == -1
        assert record.frames[-1].score == pytest.approx(record.score)
        assert record.frames[0].occupied.shape == (small_board.ROWS, small_board.COLS)
        assert len(record.frames[0].shapes) == small_board.NUM_SHAPE_SLOTS
        # Replaying the recorded moves on the seed gives the recorded game.
        state = GameState(small_board, initial_seed=record.seed)
        for frame in record.frames[:-1]:
            assert frame.action in state.valid_actions()
            state.step(frame.action)
        assert state.is_over()
        assert state.game_score() == pytest.approx(record.score)
    assert records[2].frames == ()


def test_search_player_is_deterministic_and_stops_at_max_moves(
    small_board: EnvConfig, small_network: NeuralNetwork
) -> None:
    seeds = evaluation_seeds(3)
    player = SearchPlayer(small_network, SEARCH, batch_games=2)
    first = evaluate([player], seeds, small_board, record_games=1)[0]
    second = evaluate([player], seeds, small_board)[0]
    assert [outcome(r) for r in first.games] == [outcome(r) for r in second.games]
    assert first.seeds == seeds
    assert all(r.length > 0 and not r.truncated for r in first.games)
    assert len(first.games[0].frames) == first.games[0].length + 1
    assert player.mcts_config.gumbel_scale == 0.0
    assert player.mcts_config.max_simulations == 4

    capped = evaluate([player], seeds, small_board, max_moves=3)[0]
    assert [r.length for r in capped.games] == [min(3, r.length) for r in first.games]
    assert any(r.truncated for r in capped.games)


def test_policy_player_plays_the_most_probable_legal_move(
    small_board: EnvConfig, small_network: NeuralNetwork
) -> None:
    seeds = evaluation_seeds(3)
    records = PolicyPlayer(small_network, batch_games=2).play(small_board, seeds, record_games=3)
    for record in records:
        state = GameState(small_board, initial_seed=record.seed)
        for frame in record.frames[:-1]:
            positions = engine_positions(GameTables.for_env(small_board), [state])
            policy = small_network.evaluate_batch(positions).policy[0]
            assert frame.action == int(np.argmax(policy))
            state.step(frame.action)
        assert state.is_over()


def test_evaluate_network_gives_the_eval_metrics(
    small_board: EnvConfig, small_network: NeuralNetwork
) -> None:
    seeds = evaluation_seeds(3)
    searched = evaluate_network(small_network, small_board, SEARCH, seeds, simulations=2)
    raw = evaluate_network(small_network, small_board, SEARCH, seeds, simulations=0)
    assert raw.name == "policy"
    assert searched.name == "search"
    metrics = searched.as_metrics()
    assert metrics["Eval/mean_score"] == pytest.approx(np.mean(searched.scores))
    assert metrics["Eval/median_score"] == pytest.approx(np.median(searched.scores))
    assert {"Eval/mean_length", "Eval/triangles_cleared", "Eval/seconds_per_move"} <= set(metrics)
    # Named from the one module of metric names (the best score so far is the loop's).
    assert set(metrics) == set(metric_names.EVAL_METRICS) - {metric_names.EVAL_BEST_MEAN_SCORE}
    assert searched.as_dict()["per_game"][0]["seed"] == seeds[0]  # type: ignore[index]


def test_evaluate_weights_plays_as_the_network_does(
    small_board: EnvConfig, small_network: NeuralNetwork, tiny_model: ModelConfig
) -> None:
    seeds = evaluation_seeds(2)
    direct = evaluate_network(small_network, small_board, SEARCH, seeds, simulations=2)
    copied = evaluate_weights(
        small_network.get_weights(), tiny_model, small_board, SEARCH, seeds, simulations=2
    )
    assert [outcome(r) for r in copied.games] == [outcome(r) for r in direct.games]


def test_evaluate_network_runs_on_the_threads_asked_and_restores_them(
    small_board: EnvConfig, small_network: NeuralNetwork
) -> None:
    torch.set_num_threads(2)
    seen: list[int] = []
    original = small_network.evaluate_batch

    def spy(positions: Positions) -> BatchEvaluation:
        seen.append(torch.get_num_threads())
        return original(positions)

    small_network.evaluate_batch = spy  # type: ignore[method-assign]
    evaluate_network(small_network, small_board, SEARCH, evaluation_seeds(1), simulations=0)
    assert seen
    assert set(seen) == {1}
    assert torch.get_num_threads() == 2


def test_a_network_for_another_board_is_refused(
    small_board: EnvConfig, tiny_network: NeuralNetwork
) -> None:
    with pytest.raises(ValueError, match="6x9 with 2"):
        evaluate_network(tiny_network, small_board, SEARCH, evaluation_seeds(1))


def test_evaluation_seeds_are_never_self_play_seeds(
    small_board: EnvConfig, tiny_model: ModelConfig
) -> None:
    assert EVAL_SEED_BASE >= SELF_PLAY_SEED_END
    worker = SelfPlayWorker(
        worker_id=0,
        env_config=small_board,
        model_config=tiny_model,
        mcts_config=SEARCH,
        train_config=TrainConfig(games_per_worker=4),
        seed=0,
    )
    assert all(0 <= r.seed < EVAL_SEED_BASE for r in worker.play(min_results=2))
    seeds = evaluation_seeds(3)
    assert seeds == [EVAL_SEED_BASE, EVAL_SEED_BASE + 1, EVAL_SEED_BASE + 2]
    GameState(small_board, initial_seed=ENGINE_SEED_END - 1)  # the last seed the engine takes
    with pytest.raises(ValueError, match="outside the engine's range"):
        evaluation_seeds(2, first=ENGINE_SEED_END - 1)
    with pytest.raises(ValueError, match="at least 1"):
        evaluation_seeds(0)


class OneRowAtATime:
    """The network, asked about one position per call: its answers cannot depend on the
    batch, so any difference between batches below comes from the search itself."""

    def __init__(self, network: NeuralNetwork) -> None:
        self.network = network
        self.env_config = network.env_config

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        rows = [
            self.network.evaluate_batch(positions.rows(slice(i, i + 1)))
            for i in range(len(positions))
        ]
        return BatchEvaluation(
            policy=np.concatenate([r.policy for r in rows]),
            value=np.concatenate([r.value for r in rows]),
            legal_mask=np.concatenate([r.legal_mask for r in rows]),
        )


@pytest.mark.parametrize("algorithm", ["gumbel", "puct"])
def test_a_seed_plays_the_same_game_alone_and_in_any_batch(
    small_board: EnvConfig, small_network: NeuralNetwork, algorithm: str
) -> None:
    """The search's refills come from the game's own generator, not from one the batch
    shares: seed s alone, among 5 games at once and in a batch of 2 makes the same moves."""
    gumbel = {"gumbel_max_considered_actions": 4} if algorithm == "gumbel" else {}
    config = search_config(algorithm=algorithm, max_simulations=8, **gumbel)
    evaluator = OneRowAtATime(small_network)
    seeds = evaluation_seeds(6)
    target = seeds[3]

    def game_of(batch_seeds: list[int], batch_games: int) -> tuple[float, list[int]]:
        player = SearchPlayer(evaluator, config, batch_games=batch_games)
        records = player.play(small_board, batch_seeds, max_moves=40, record_games=len(batch_seeds))
        (record,) = [r for r in records if r.seed == target]
        return record.score, [frame.action for frame in record.frames[:-1]]

    alone = game_of([target], 1)
    assert len(alone[1]) > 4  # long enough for the trees to draw refills
    assert game_of(seeds[:5], 5) == alone
    assert game_of([seeds[0], target, seeds[5]], 2) == alone
