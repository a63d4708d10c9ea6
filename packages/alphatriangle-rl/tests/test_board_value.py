"""The board value: its inputs, the search's dot product against the trainer's forward pass
(also after a checkpoint), its starting point (the planner's moves), and its training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from trianglengin import GameState

from alphatriangle.config import (
    BoardPatternName,
    EnvConfig,
    ModelConfig,
    TrainConfig,
    TurnSearchConfig,
)
from alphatriangle.nn import (
    BOARD_VALUE_INPUT_NAMES,
    LOCAL_PATTERNS,
    STARTING_POINTS,
    SUMMARY_INPUTS,
    CheckpointMismatchError,
    NeuralNetwork,
)
from alphatriangle.rl import ExperienceBuffer, Trainer
from alphatriangle.rl.experience import ExperienceBatch
from alphatriangle.rl.game import GameTables, afterstate_positions, encode_states
from alphatriangle.rl.game.bitboard import unpack_cells
from alphatriangle.rl.search import (
    BoardPointsValue,
    HandValue,
    RefillPly,
    afterstate_value_of,
    board_inputs,
    search_turns,
)
from alphatriangle.rl.search.board_inputs import PATTERN_CELLS, board_points
from alphatriangle.rl.search.hand_value import DEFAULT_HAND_WEIGHTS, hand_afterstate_terms
from alphatriangle.rl.self_play_result import SelfPlayResult
from alphatriangle.rl.turn_self_play import (
    HAND_OVER_POSITIONS,
    FinishedTurnGame,
    TurnGame,
    TurnSelfPlay,
    TurnSelfPlayGames,
    afterstate_experiences,
)

from .test_honest_play import same_position_other_seeds
from .test_refill_ply import positions_of_real_games

SMALL = EnvConfig(ROWS=4, COLS=7, PLAYABLE_RANGE_PER_ROW=[(1, 6), (0, 7), (0, 7), (1, 6)])
TINY_MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)


def real_boards(env: EnvConfig, count: int = 40) -> np.ndarray:
    """Boards of planner games part-way through, and empty ones."""
    tables = GameTables.for_env(env)
    states = positions_of_real_games(env, list(range(30, 30 + count)), moves=12)
    states += [GameState(env, initial_seed=s) for s in (1, 2)]
    occupied: np.ndarray = encode_states(tables, states).occupied
    return occupied


@pytest.mark.parametrize("env", [EnvConfig(), SMALL], ids=["default board", "4x7 board"])
def test_board_inputs_count_what_they_name(env: EnvConfig) -> None:
    tables = GameTables.for_env(env)
    boards = real_boards(env, 12)
    inputs = board_inputs(tables, boards)
    assert inputs.shape == (boards.shape[0], len(BOARD_VALUE_INPUT_NAMES))
    column = {name: inputs[:, i] for i, name in enumerate(BOARD_VALUE_INPUT_NAMES)}
    alive, board = hand_afterstate_terms(tables, boards, DEFAULT_HAND_WEIGHTS)
    np.testing.assert_allclose(column["planner_value"], alive + board)
    np.testing.assert_array_equal(column["bias"], 1.0)
    shares = sum(column[n] for n in BOARD_VALUE_INPUT_NAMES if n.startswith("shapes_fit_"))
    np.testing.assert_allclose(shares, 1.0)  # every shape of the table falls in one bin
    lines = sum(column[n] for n in BOARD_VALUE_INPUT_NAMES if n.startswith("lines_empty_"))
    assert np.all(lines <= tables.num_lines)
    assert lines.max() > 0
    neighbours = column["isolated"] + column["dead_end"] + column["narrow"] + column["open"]
    np.testing.assert_array_equal(neighbours, column["empty_cells"])
    assert column["empty_cells"].max() == tables.playable.sum()  # the empty board


def reference_pattern_counts(tables: GameTables, occupied: np.ndarray) -> np.ndarray:
    """The pattern inputs counted anchor by anchor and cell by cell, in numpy."""
    filled = unpack_cells(occupied, tables.num_cells) | ~tables.playable.ravel()
    row, col = np.divmod(np.arange(tables.num_cells), tables.cols)
    up = (row + col) % 2 != 0
    columns = []
    for name, cells in LOCAL_PATTERNS:
        code = np.zeros(filled.shape, np.int64)
        for bit, (rows_on, cols_on) in enumerate(PATTERN_CELLS[name]):
            there_row, there_col = row + np.where(up, rows_on, -rows_on), col + cols_on
            inside = (there_row >= 0) & (there_row < tables.rows)
            inside &= (there_col >= 0) & (there_col < tables.cols)
            seen = np.ones(filled.shape, np.bool_)  # off the board: filled
            seen[:, inside] = filled[:, (there_row * tables.cols + there_col)[inside]]
            code += seen.astype(np.int64) << bit
        for orientation in (True, False):
            anchors = tables.playable.ravel() & (up == orientation)
            columns += [np.bincount(c[anchors], minlength=1 << cells) for c in code]
    per_board = np.asarray(columns, np.float64).reshape(-1, occupied.shape[0], 1 << cells)
    return np.concatenate(list(per_board), axis=1)


@pytest.mark.parametrize("env", [EnvConfig(), SMALL], ids=["default board", "4x7 board"])
def test_pattern_inputs_count_each_anchors_cells(env: EnvConfig) -> None:
    """The kernel's bit-parallel counts equal counting anchor by anchor, on real boards,
    random ones and the empty board; every anchor falls in one combination."""
    tables = GameTables.for_env(env)
    rng = np.random.default_rng(5)
    random = rng.integers(0, 2**63, (30, tables.words), dtype=np.int64).astype(np.uint64)
    boards = np.concatenate([real_boards(env, 12), random & random[::-1]])
    inputs = board_inputs(tables, boards, LOCAL_PATTERNS)
    summary = len(SUMMARY_INPUTS)
    np.testing.assert_array_equal(inputs[:, :summary], board_inputs(tables, boards, ()))
    patterns = inputs[:, summary:]
    np.testing.assert_array_equal(patterns, reference_pattern_counts(tables, boards))
    for pattern in np.split(patterns, len(LOCAL_PATTERNS), axis=1):
        np.testing.assert_array_equal(pattern.sum(axis=1), tables.playable.sum())
    empty = board_inputs(tables, np.zeros((1, tables.words), np.uint64), LOCAL_PATTERNS)
    no_cell_filled = empty[0, summary + 2 * 64]  # the wedge's first count
    assert 0 < no_cell_filled < tables.playable.sum()  # anchors away from the edges
    coefficients = np.random.default_rng(6).normal(size=inputs.shape[1])
    np.testing.assert_allclose(
        board_points(tables, boards, coefficients, LOCAL_PATTERNS), inputs @ coefficients
    )


PATTERN_CHOICES = [(), ("wedge",), ("strip", "wedge")]
"""`[model] board_value_patterns` values the tests play: none, one, the default."""


def network_reading(
    env: EnvConfig, patterns: tuple[BoardPatternName, ...], seed: int = 3
) -> NeuralNetwork:
    """A tiny network whose board value reads `patterns` (`[model] board_value_patterns`)."""
    config = ModelConfig.model_validate(
        {**TINY_MODEL.model_dump(), "board_value_patterns": patterns}
    )
    return NeuralNetwork(model_config=config, env_config=env, seed=seed)


def trained_network(
    env: EnvConfig, patterns: tuple[BoardPatternName, ...] = ("strip", "wedge")
) -> NeuralNetwork:
    """A network whose board value (over `patterns`) has moved away from its start."""
    network = network_reading(env, patterns)
    rng = np.random.default_rng(0)
    network.model.board_value.set_coefficients(rng.normal(0, 2, network.board_value_input_count))
    return network


@pytest.mark.parametrize("patterns", PATTERN_CHOICES, ids=str)
def test_the_search_values_boards_as_the_trainer_forward_pass_does(
    tmp_path: Path, patterns: tuple[BoardPatternName, ...]
) -> None:
    """Also the value the config picks: the head, the search and the checkpoint read the
    same patterns."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    boards = real_boards(env, 20)
    network = trained_network(env, patterns)
    counts = sum(2 << cells for _, cells in network.board_value_patterns)  # 2 orientations
    assert network.board_value_input_count == len(SUMMARY_INPUTS) + counts
    inputs = board_inputs(tables, boards, network.board_value_patterns)
    with torch.no_grad():
        forward = network.model.board_value(torch.from_numpy(inputs.astype(np.float32)))
    searched = BoardPointsValue(network).points(tables, boards)
    np.testing.assert_allclose(searched, forward.double().numpy(), rtol=1e-4, atol=1e-3)
    path = network.save(tmp_path / "board.pt")
    loaded = NeuralNetwork.from_checkpoint(path, device="cpu")
    assert loaded.model_config.board_value_patterns == patterns
    np.testing.assert_allclose(BoardPointsValue(loaded).points(tables, boards), searched)


def test_a_checkpoint_from_before_the_board_value_starts_it_at_the_planner(
    tmp_path: Path,
) -> None:
    network = trained_network(EnvConfig())
    weights = {k: v for k, v in network.get_weights().items() if not k.startswith("board_value.")}
    fresh = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig())
    fresh.set_weights(weights)
    coefficients = fresh.board_value_coefficients()
    expected = np.zeros(len(BOARD_VALUE_INPUT_NAMES))
    expected[BOARD_VALUE_INPUT_NAMES.index("bias")] = STARTING_POINTS
    expected[BOARD_VALUE_INPUT_NAMES.index("planner_value")] = 1.0
    np.testing.assert_allclose(coefficients, expected, atol=1e-5)


def test_a_checkpoint_with_fewer_board_value_inputs_keeps_what_it_learned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A board value over the first inputs of today's list (written before the later ones
    were appended) keeps its coefficients; the later inputs start at 0 and the log says
    so. A head that is not an older input list is refused, naming the tensor."""
    network = trained_network(EnvConfig())
    summary = len(BOARD_VALUE_INPUT_NAMES) - 4
    weights = network.get_weights()
    older = {
        **weights,
        "board_value.weight": weights["board_value.weight"][:summary].clone(),
        "board_value.input_size": weights["board_value.input_size"][:summary].clone(),
    }
    fresh = NeuralNetwork(model_config=TINY_MODEL, env_config=EnvConfig())
    with caplog.at_level("INFO"):
        fresh.set_weights(older, source="an older checkpoint")
    assert f"over {summary} inputs" in caplog.text
    coefficients = fresh.board_value_coefficients()
    np.testing.assert_allclose(
        coefficients[:summary], network.board_value_coefficients()[:summary], rtol=1e-5
    )
    np.testing.assert_array_equal(coefficients[summary:], 0.0)
    other = {**older, "board_value.input_size": older["board_value.input_size"] * 2}
    with pytest.raises(CheckpointMismatchError, match="board_value"):
        fresh.set_weights(other, source="another checkpoint")


def test_the_untrained_board_value_plays_the_planners_moves() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    states = positions_of_real_games(env, [41, 42, 43, 44], moves=7)
    states += [GameState(env, initial_seed=s) for s in (45, 46)]
    roots = encode_states(tables, states)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env)
    value = afterstate_value_of(TurnSearchConfig(turn_refill_candidates=0), network)
    assert isinstance(value, BoardPointsValue)

    def moves(v: HandValue | BoardPointsValue) -> np.ndarray:
        rngs = [np.random.default_rng([i, 4]) for i in range(len(states))]
        action: np.ndarray = search_turns(tables, roots, v, rngs).action
        return action

    np.testing.assert_array_equal(moves(value), moves(HandValue()))


def test_the_board_value_asks_for_a_network_that_holds_one() -> None:
    with pytest.raises(ValueError, match="board value"):
        afterstate_value_of(TurnSearchConfig(turn_value="board"), None)


@pytest.mark.parametrize(
    ("fit", "steps", "patterns"),
    [
        ("optimiser", 300, ("strip", "wedge")),
        ("least_squares", 30, ("strip", "wedge")),
        ("least_squares", 30, ()),
        ("within_positions", 30, ("strip", "wedge")),
        ("within_positions", 30, ()),
    ],
    ids=[
        "optimiser",
        "least squares",
        "least squares, summary only",
        "within positions",
        "within positions, summary only",
    ],
)
def test_training_moves_the_board_value_to_its_targets(
    fit: str, steps: int, patterns: tuple[BoardPatternName, ...]
) -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    network = network_reading(env, patterns, seed=1)
    config = TrainConfig(batch_size=64, learning_rate=1e-2, board_value_fit=fit)
    trainer = Trainer(network=network, config=config)
    boards = real_boards(env, 30)
    inputs = board_inputs(tables, boards, network.board_value_patterns).astype(np.float32)
    # targets a linear value can reach: a level of 150 plus 3 points per empty cell
    targets = 150.0 + 3.0 * inputs[:, BOARD_VALUE_INPUT_NAMES.index("empty_cells")]
    features = network.features.extract(afterstate_positions(tables, boards))
    batch = ExperienceBatch(
        grid=features.grid,
        other=features.other,
        policy_target=np.zeros((len(boards), 0), np.float32),
        value_target=targets.astype(np.float32),
        board_inputs=inputs,
        position=np.arange(len(boards)) // 3,  # as if searched three at a time
    )
    buffer = ExperienceBuffer(capacity=1_000)
    buffer.add(batch)
    trainer.observe(batch)

    def error() -> float:
        return float(np.abs(BoardPointsValue(network).points(tables, boards) - targets).mean())

    before = error()
    losses = [trainer.train_step(buffer.sample(64)).board_value_loss for _ in range(steps)]
    assert losses[0] > 0.0
    assert error() < 0.3 * before
    assert losses[-1] < 0.3 * losses[0]


def test_refill_targets_are_what_the_ply_past_the_refill_found() -> None:
    """Self-play with `turn_value_targets = "refill"`: every candidate the ply valued, at
    every move, with that value as target and its board inputs, in points (not zero)."""
    env = SMALL
    tables = GameTables.for_env(env)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env, seed=2)
    config = TurnSearchConfig(
        turn_value="board",
        turn_refill_candidates=3,
        turn_refill_deals=2,
        turn_value_targets="refill",
        turn_beam_width=12,
    )
    self_play = TurnSelfPlay(
        network=network,
        env_config=env,
        mcts_config=config,
        train_config=TrainConfig(max_episode_length=500),
    )
    game = TurnGame(
        seed=5, state=GameState(env, initial_seed=5), rng=np.random.default_rng(5), started=0.0
    )
    searched: list[tuple[np.ndarray, np.ndarray]] = []
    original = self_play._choose

    def spying(*args: object) -> object:
        decision = original(*args)  # type: ignore[arg-type]
        searched.append((decision.refill_boards.copy(), decision.refill_values.copy()))
        return decision

    self_play._choose = spying  # type: ignore[method-assign,assignment]
    finished: list[FinishedTurnGame] = []
    while not finished:
        finished = self_play.play_round([game])
    experiences = finished[0].experiences
    boards = np.concatenate([b for b, _ in searched])
    values = np.concatenate([v for _, v in searched])
    assert len(experiences) == len(values) > game.moves  # several candidates per move
    searched_together = np.repeat(np.arange(len(searched)), [len(v) for _, v in searched])
    np.testing.assert_array_equal(experiences.position, searched_together)
    np.testing.assert_allclose(experiences.value_target, values.astype(np.float32))
    np.testing.assert_allclose(
        experiences.board_inputs, board_inputs(tables, boards).astype(np.float32)
    )
    assert experiences.policy_target.shape[1] == 0
    assert np.abs(experiences.value_target).max() > 10.0  # points, not zeros


def test_refill_targets_need_the_ply_past_the_refill() -> None:
    with pytest.raises(ValueError, match="turn_refill_candidates"):
        TurnSearchConfig(turn_value_targets="refill", turn_refill_candidates=0)


@pytest.mark.parametrize(
    "refill", [None, RefillPly(candidates=3, deals=3)], ids=["one ply", "past the refill"]
)
@pytest.mark.parametrize("patterns", PATTERN_CHOICES, ids=str)
def test_the_board_value_cannot_see_the_next_shapes(
    refill: RefillPly | None, patterns: tuple[BoardPatternName, ...]
) -> None:
    """Every plan from these positions ends in a refill: a search that read the engine's
    next shapes would play, or value, the two games differently. The ply past the refill
    draws its deals from the search's generator, the same in both games. Every value the
    config can pick is held to it."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    value = BoardPointsValue(trained_network(env, patterns))
    assert [name for name, _ in value.patterns] == list(patterns)
    for seeds in [(1, 2), (3, 4), (5, 6)]:
        games = same_position_other_seeds(env, seeds)
        decisions = [
            search_turns(
                tables,
                encode_states(tables, [g]),
                value,
                [np.random.default_rng(0)],
                refill=refill,
            )
            for g in games
        ]
        first, second = decisions
        assert first.action[0] == second.action[0]
        assert first.score[0] == second.score[0]
        np.testing.assert_array_equal(first.refill_values, second.refill_values)


@pytest.mark.parametrize("patterns", [(), ("strip", "wedge")], ids=str)
def test_targets_from_the_ply_reach_the_trainer_before_the_game_ends(
    patterns: tuple[BoardPatternName, ...],
) -> None:
    """Positions whose targets are complete are handed over while the game goes on (so the
    first training step need not wait for a game to end); with the game's own result at
    its end, every searched candidate arrives once, with the inputs of the value the
    config picked."""
    env = EnvConfig()
    network = network_reading(env, patterns, seed=2)
    config = TurnSearchConfig(
        turn_value="board",
        turn_refill_candidates=4,
        turn_refill_deals=1,
        turn_value_targets="refill",
        turn_beam_width=8,
    )
    seeds = iter(range(100, 200))

    def new_game() -> tuple[int, GameState]:
        seed = next(seeds)
        return seed, GameState(env, initial_seed=seed)

    games = TurnSelfPlayGames(
        network=network,
        env_config=env,
        config=config,
        train_config=TrainConfig(max_episode_length=60),
        worker_id=0,
        new_game=new_game,
        num_games=1,
    )
    searched = 0
    original = games.self_play._choose

    def counting(*args: object) -> object:
        nonlocal searched
        decision = original(*args)  # type: ignore[arg-type]
        searched += decision.refill_values.size
        return decision

    games.self_play._choose = counting  # type: ignore[method-assign,assignment]
    results: list[SelfPlayResult] = []
    while not any(not r.in_play for r in results):
        results += games.play_round(weights_step=0)
    early = [r for r in results if r.in_play]
    assert early, "no positions were handed over before the game ended"
    assert all(len(r.experiences) >= HAND_OVER_POSITIONS for r in early)
    assert early[0].length < results[-1].length  # handed over mid-game
    assert sum(len(r.experiences) for r in results) == searched
    widths = {r.experiences.board_inputs.shape[1] for r in results}
    assert widths == {network.board_value_input_count}


def test_a_game_that_ends_right_after_a_hand_over_gives_an_empty_batch() -> None:
    """A game whose positions were all handed over ends with none left: its result holds
    an empty batch of the right shapes (this once stopped the worker)."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=env)
    none = np.zeros((0, tables.words), np.uint64)
    empty = afterstate_experiences(network, tables, none, np.zeros(0), board_value=True)
    assert len(empty) == 0
    assert empty.grid.shape[1:] == (network.features.spec.grid_channels, env.ROWS, env.COLS)
    assert empty.board_inputs.shape == (0, len(BOARD_VALUE_INPUT_NAMES))
