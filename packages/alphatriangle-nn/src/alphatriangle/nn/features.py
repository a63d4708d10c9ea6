"""Positions as plain arrays to network inputs, for a whole batch in one vectorized pass.

The network never sees a game engine: whoever holds the game (the search's array
model of it, or a converter from trianglengin states) hands over `Positions`, the
few arrays the features are made of. The grid input has one plane per fact about a
cell and one per shape slot:

- ``occupied``: the cell holds a triangle;
- ``playable``: the cell is part of the board (not a death cell);
- ``points_up``: the triangle at (r, c) points up, ``(r + c) % 2 != 0``;
- ``legal[slot]``: the slot's shape may be placed with its anchor on this cell.

The legal planes have exactly the layout of the action space
(``slot * ROWS * COLS + r * COLS + c``), so the legal-action mask of a position is
its last ``NUM_SHAPE_SLOTS`` planes flattened: the trainer recovers it from stored
features without storing a mask. The ``other`` vector holds per-slot shape
summaries and a few board scalars. Every size comes from the `EnvConfig`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import EnvConfig, action_dim

BOARD_PLANES = 3
"""occupied, playable, points_up."""
SHAPE_SUMMARY_SIZE = 5
"""present, triangles, up triangles, bbox height, bbox width (all scaled)."""
SLOT_SCALARS = SHAPE_SUMMARY_SIZE + 1
"""A slot's shape summary, then its legal placements (scaled)."""
BOARD_SCALARS = 2
"""occupied fraction of the playable cells, legal placements over all slots (scaled)."""
_MAX_SHAPE_EXTENT = 8.0
"""Scale of shape sizes in the scalars; only keeps the inputs near 1, not a limit."""


def shape_summary(triangles: Iterable[tuple[int, int, bool]]) -> NDArray[np.float32]:
    """[SHAPE_SUMMARY_SIZE] what the network is told about a shape in a slot.

    `triangles` are the shape's `(row, col, points_up)` offsets, in any order. An
    empty slot's summary is all zeros (its "present" entry is 0).
    """
    cells = list(triangles)
    if not cells:
        return np.zeros(SHAPE_SUMMARY_SIZE, np.float32)
    rows = [t[0] for t in cells]
    cols = [t[1] for t in cells]
    up = sum(1 for t in cells if t[2])
    return np.array(
        [
            1.0,
            len(cells) / _MAX_SHAPE_EXTENT,
            up / _MAX_SHAPE_EXTENT,
            (max(rows) - min(rows) + 1) / _MAX_SHAPE_EXTENT,
            (max(cols) - min(cols) + 1) / _MAX_SHAPE_EXTENT,
        ],
        np.float32,
    )


@dataclass(frozen=True, slots=True)
class Positions:
    """B positions as the arrays their features are built from."""

    occupied: NDArray[np.bool_]
    """[B, ROWS, COLS] cells holding a triangle."""
    legal: NDArray[np.bool_]
    """[B, A] legal actions, in trianglengin's action layout."""
    shape_summaries: NDArray[np.float32]
    """[B, NUM_SHAPE_SLOTS, SHAPE_SUMMARY_SIZE] `shape_summary` of each slot's shape."""

    def __len__(self) -> int:
        return int(self.legal.shape[0])

    def rows(self, index: slice | NDArray[np.integer] | NDArray[np.bool_]) -> Positions:
        """The positions `index` selects (a slice gives views, not copies)."""
        return Positions(
            occupied=self.occupied[index],
            legal=self.legal[index],
            shape_summaries=self.shape_summaries[index],
        )


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Shapes of the network inputs for one board configuration."""

    rows: int
    cols: int
    num_slots: int

    @classmethod
    def from_env(cls, env_config: EnvConfig) -> FeatureSpec:
        return cls(env_config.ROWS, env_config.COLS, env_config.NUM_SHAPE_SLOTS)

    @property
    def grid_channels(self) -> int:
        return BOARD_PLANES + self.num_slots

    @property
    def other_dim(self) -> int:
        return self.num_slots * SLOT_SCALARS + BOARD_SCALARS

    @property
    def action_dim(self) -> int:
        return self.num_slots * self.rows * self.cols


@dataclass(frozen=True, slots=True)
class FeatureBatch:
    """Network inputs for B positions."""

    grid: NDArray[np.float32]
    """[B, C, ROWS, COLS] board and legal-placement planes."""
    other: NDArray[np.float32]
    """[B, F] shape summaries and board scalars."""

    def __len__(self) -> int:
        return int(self.grid.shape[0])

    def legal_mask(self, num_slots: int) -> NDArray[np.bool_]:
        """[B, A] legal actions, read back from the legal-placement planes."""
        legal_planes = self.grid[:, -num_slots:]
        return legal_planes.reshape(len(self), int(np.prod(legal_planes.shape[1:]))) > 0.5


class FeatureExtractor:
    """Builds `FeatureBatch`es for one `EnvConfig`; holds the planes that never change."""

    def __init__(self, env_config: EnvConfig) -> None:
        self.env_config = env_config
        self.spec = FeatureSpec.from_env(env_config)
        rows, cols = np.indices((self.spec.rows, self.spec.cols))
        self._points_up = ((rows + cols) % 2 != 0).astype(np.float32)
        playable = np.zeros((self.spec.rows, self.spec.cols), np.bool_)
        for row, (start, end) in enumerate(env_config.PLAYABLE_RANGE_PER_ROW):
            playable[row, start:end] = True
        self._playable = playable
        self._playable_cells = max(int(playable.sum()), 1)
        self._cells = self.spec.rows * self.spec.cols
        self._action_dim = action_dim(env_config)

    def extract(self, positions: Positions) -> FeatureBatch:
        """Features of every position, as one batch: a handful of array operations.

        This runs once per search round for every leaf, so it is on the hot path.
        """
        spec = self.spec
        batch = len(positions)
        self._check(positions)
        grid = np.empty((batch, spec.grid_channels, spec.rows, spec.cols), dtype=np.float32)
        grid[:, 0] = positions.occupied
        grid[:, 1] = self._playable
        grid[:, 2] = self._points_up
        grid[:, BOARD_PLANES:] = positions.legal.reshape(
            batch, spec.num_slots, spec.rows, spec.cols
        )
        other = np.empty((batch, spec.other_dim), dtype=np.float32)
        slot_block = other[:, : spec.num_slots * SLOT_SCALARS].reshape(
            batch, spec.num_slots, SLOT_SCALARS
        )
        slot_block[:, :, :SHAPE_SUMMARY_SIZE] = positions.shape_summaries
        cells = spec.rows * spec.cols  # not -1: an empty batch has no size to infer it from
        legal_per_slot = positions.legal.reshape(batch, spec.num_slots, cells).sum(axis=2)
        slot_block[:, :, SHAPE_SUMMARY_SIZE] = legal_per_slot / self._cells
        tail = spec.num_slots * SLOT_SCALARS
        occupied_playable = (positions.occupied & self._playable).sum(axis=(1, 2))
        other[:, tail] = occupied_playable / self._playable_cells
        other[:, tail + 1] = legal_per_slot.sum(axis=1) / self._action_dim
        return FeatureBatch(grid=grid, other=other)

    def _check(self, positions: Positions) -> None:
        spec = self.spec
        batch = len(positions)
        expected = {
            "occupied": (batch, spec.rows, spec.cols),
            "legal": (batch, spec.action_dim),
            "shape_summaries": (batch, spec.num_slots, SHAPE_SUMMARY_SIZE),
        }
        for name, shape in expected.items():
            actual = tuple(getattr(positions, name).shape)
            if actual != shape:
                raise ValueError(
                    f"Positions.{name} has shape {actual}; a board of {spec.rows}x{spec.cols} "
                    f"with {spec.num_slots} slots needs {shape}"
                )
