"""Everything about a board that never changes, computed once from its `EnvConfig`.

The rules below (`rules.py`) only index these tables: which cells are playable,
the board's lines, every shape template's placement at every anchor cell, the
shape distribution of a refill, and the reward constants. They are rebuilt from the
`EnvConfig` (rows, columns, playable ranges, slots), so any board trianglengin
accepts works; nothing assumes the default 8 x 15 board.

Template ids index the distinct shapes of `TRIANGLENGIN_SHAPE_TEMPLATES`. An empty
slot holds `EMPTY_SLOT` (-1), and every per-template table has one extra last row
for it (no legal placement, an all-zero summary), so numpy's index -1 needs no mask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import EnvConfig, action_dim
from alphatriangle.nn import SHAPE_SUMMARY_SIZE, shape_summary

from .bitboard import pack_cells, words_for
from .shapes import TRIANGLENGIN_SHAPE_TEMPLATES, Template, template_key

EMPTY_SLOT = -1
"""Template id of an empty slot."""

_DIRECTIONS = ("h", "d1", "d2")


@dataclass(frozen=True, slots=True, eq=False)
class GameTables:
    """The static tables of one board; build with `GameTables.for_env`."""

    env_config: EnvConfig
    rows: int
    cols: int
    num_slots: int
    num_cells: int  # ROWS * COLS
    num_actions: int  # NUM_SHAPE_SLOTS * ROWS * COLS
    words: int  # 64-bit words per bitboard
    playable: NDArray[np.bool_]  # [cells] part of the board
    templates: tuple[Template, ...]  # [T] distinct shapes, canonical triangle order
    template_of_entry: NDArray[np.int8]  # [31] distinct id of each engine table entry
    template_probability: NDArray[np.float64]  # [T] chance a refilled slot gets it
    template_size: NDArray[np.int64]  # [T + 1] triangles (0 for the empty row)
    placement_valid: NDArray[np.bool_]  # [T + 1, cells] fits the empty board at anchor
    placement_bits: NDArray[np.uint64]  # [words, T + 1, cells] cells covered (0: invalid)
    line_bits: NDArray[np.uint64]  # [words, L] the cells of each line
    summaries: NDArray[np.float32]  # [T + 1, SHAPE_SUMMARY_SIZE] network's shape summary
    reward_per_placed_triangle: float
    reward_per_cleared_triangle: float
    reward_per_step_alive: float

    @staticmethod
    def for_env(env_config: EnvConfig) -> GameTables:
        """The tables of `env_config`'s board, built once per distinct config."""
        return _tables_for(env_config.model_dump_json())

    @property
    def num_templates(self) -> int:
        return len(self.templates)

    @property
    def num_lines(self) -> int:
        return int(self.line_bits.shape[1])

    def template_id(self, triangles: list[tuple[int, int, bool]]) -> int:
        """The id of a shape given by its triangles (in any order); ValueError if unknown."""
        key = template_key(triangles)
        try:
            return self.templates.index(key)
        except ValueError:
            raise ValueError(
                f"shape {key} is not one of trianglengin's {self.num_templates} shape templates"
            ) from None


@lru_cache(maxsize=16)
def _tables_for(env_json: str) -> GameTables:
    env = EnvConfig.model_validate(json.loads(env_json))
    rows, cols = env.ROWS, env.COLS
    cells = rows * cols
    words = words_for(cells)
    playable = np.zeros((rows, cols), np.bool_)
    for row, (start, end) in enumerate(env.PLAYABLE_RANGE_PER_ROW):
        playable[row, start:end] = True

    templates: list[Template] = []
    entry_ids: list[int] = []
    for entry in TRIANGLENGIN_SHAPE_TEMPLATES:
        key = template_key(entry)
        if key not in templates:
            templates.append(key)
        entry_ids.append(templates.index(key))
    template_of_entry = np.asarray(entry_ids, np.int8)
    counts = np.bincount(template_of_entry, minlength=len(templates))
    probability = counts / counts.sum()

    valid, covered = _placements(templates, playable)
    sentinel_valid = np.zeros((1, cells), np.bool_)
    sentinel_covered = np.zeros((1, cells, cells), np.bool_)
    placement_valid = np.concatenate([valid, sentinel_valid])
    placement_bits = pack_cells(np.concatenate([covered, sentinel_covered]), words)
    lines = _lines(playable)
    line_cells = np.zeros((max(len(lines), 1), cells), np.bool_)
    for index, line in enumerate(lines):
        for r, c in line:
            line_cells[index, r * cols + c] = True
    line_bits = pack_cells(line_cells[: len(lines)], words)
    summaries = np.zeros((len(templates) + 1, SHAPE_SUMMARY_SIZE), np.float32)
    for index, template in enumerate(templates):
        summaries[index] = shape_summary(template)
    sizes = np.asarray([len(t) for t in templates] + [0], np.int64)
    return GameTables(
        env_config=env,
        rows=rows,
        cols=cols,
        num_slots=env.NUM_SHAPE_SLOTS,
        num_cells=cells,
        num_actions=action_dim(env),
        words=words,
        playable=playable.reshape(-1),
        templates=tuple(templates),
        template_of_entry=template_of_entry,
        template_probability=probability,
        template_size=sizes,
        placement_valid=placement_valid,
        placement_bits=np.ascontiguousarray(np.moveaxis(placement_bits, -1, 0)),
        line_bits=np.ascontiguousarray(line_bits.T),
        summaries=summaries,
        reward_per_placed_triangle=float(env.REWARD_PER_PLACED_TRIANGLE),
        reward_per_cleared_triangle=float(env.REWARD_PER_CLEARED_TRIANGLE),
        reward_per_step_alive=float(env.REWARD_PER_STEP_ALIVE),
    )


def _points_up(row: int, col: int) -> bool:
    return (row + col) % 2 != 0


def _placements(
    templates: list[Template], playable: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """([T, cells] anchor valid, [T, cells, cells] cells covered) on the empty board.

    A placement is valid when every triangle lands in bounds, on a playable cell, and
    on a cell of the orientation the triangle needs (shapes never rotate).
    """
    rows, cols = playable.shape
    cells = rows * cols
    valid = np.zeros((len(templates), cells), np.bool_)
    covered = np.zeros((len(templates), cells, cells), np.bool_)
    for t, template in enumerate(templates):
        for r in range(rows):
            for c in range(cols):
                targets = [(r + dr, c + dc, up) for dr, dc, up in template]
                if all(
                    0 <= tr < rows
                    and 0 <= tc < cols
                    and playable[tr, tc]
                    and _points_up(tr, tc) == up
                    for tr, tc, up in targets
                ):
                    anchor = r * cols + c
                    valid[t, anchor] = True
                    for tr, tc, _ in targets:
                        covered[t, anchor, tr * cols + tc] = True
    return valid, covered


def _neighbour(row: int, col: int, direction: str, backward: bool) -> tuple[int, int]:
    """The next cell along a line direction, as trianglengin's `GridData::get_neighbor`."""
    up = _points_up(row, col)
    if direction == "h":
        return row, col + (-1 if backward else 1)
    if direction == "d1":  # top-left to bottom-right
        if backward:
            return (row, col - 1) if up else (row - 1, col)
        return (row + 1, col) if up else (row, col + 1)
    # d2: bottom-left to top-right
    if backward:
        return (row + 1, col) if up else (row, col - 1)
    return (row, col + 1) if up else (row - 1, col)


def _lines(playable: NDArray[np.bool_]) -> list[tuple[tuple[int, int], ...]]:
    """The board's lines: maximal runs of at least 2 playable cells in each direction.

    As trianglengin's `GridData::precompute_lines`: a full line is cleared whole.
    """
    rows, cols = playable.shape

    def live(row: int, col: int) -> bool:
        return 0 <= row < rows and 0 <= col < cols and bool(playable[row, col])

    found: set[tuple[tuple[int, int], ...]] = set()
    for r in range(rows):
        for c in range(cols):
            if not live(r, c):
                continue
            for direction in _DIRECTIONS:
                start = (r, c)
                while live(*(previous := _neighbour(*start, direction, True))):
                    start = previous
                line = [start]
                while live(*(following := _neighbour(*line[-1], direction, False))):
                    line.append(following)
                if len(line) >= 2:
                    found.add(tuple(line))
    return sorted(found)
