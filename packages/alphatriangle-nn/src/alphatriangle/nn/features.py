"""Game states to network inputs, for one state or a whole batch at once.

The grid input has one plane per fact about a cell and one per shape slot:

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, action_dim

BOARD_PLANES = 3
"""occupied, playable, points_up."""
SLOT_SCALARS = 6
"""present, triangles, up triangles, bbox height, bbox width, legal placements (all scaled)."""
BOARD_SCALARS = 2
"""occupied fraction of the playable cells, legal placements over all slots (scaled)."""
_MAX_SHAPE_EXTENT = 8.0
"""Scale of shape sizes in the scalars; only keeps the inputs near 1, not a limit."""


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
        return legal_planes.reshape(len(self), -1) > 0.5


class FeatureExtractor:
    """Builds `FeatureBatch`es for one `EnvConfig`; holds the planes that never change."""

    def __init__(self, env_config: EnvConfig) -> None:
        self.env_config = env_config
        self.spec = FeatureSpec.from_env(env_config)
        rows, cols = np.indices((self.spec.rows, self.spec.cols))
        self._points_up = ((rows + cols) % 2 != 0).astype(np.float32)
        self._cells = self.spec.rows * self.spec.cols
        self._action_dim = action_dim(env_config)
        self._shape_cache: dict[tuple[tuple[int, int, bool], ...], tuple[float, ...]] = {}

    def legal_mask(self, state: GameState) -> NDArray[np.bool_]:
        """[A] boolean mask of the state's legal actions."""
        mask = np.zeros(self._action_dim, dtype=np.bool_)
        actions = state.cpp_state.get_valid_actions()
        if actions:
            mask[np.fromiter(actions, dtype=np.int64, count=len(actions))] = True
        return mask

    def extract(self, states: Sequence[GameState]) -> FeatureBatch:
        """Features of every state, as one batch.

        Reads the engine's arrays directly (not through the Python wrapper's caches)
        and writes all legal actions of the batch with one scatter: this runs once per
        search round for every leaf, so it is on the hot path.
        """
        spec = self.spec
        batch = len(states)
        grid = np.zeros((batch, spec.grid_channels, spec.rows, spec.cols), dtype=np.float32)
        other = np.zeros((batch, spec.other_dim), dtype=np.float32)
        if batch == 0:
            return FeatureBatch(grid=grid, other=other)
        engines = [state.cpp_state for state in states]
        occupied = np.stack([e.get_grid_occupied_flat() for e in engines]).reshape(
            batch, spec.rows, spec.cols
        )
        playable = ~np.stack([e.get_grid_death_flat() for e in engines]).reshape(
            batch, spec.rows, spec.cols
        )
        legal_sets = [e.get_valid_actions() for e in engines]
        counts = np.fromiter((len(s) for s in legal_sets), dtype=np.int64, count=batch)
        flat_actions = np.fromiter(
            (a for s in legal_sets for a in s), dtype=np.int64, count=int(counts.sum())
        )
        legal_flat = np.zeros((batch, self._action_dim), dtype=np.float32)
        legal_flat[np.repeat(np.arange(batch), counts), flat_actions] = 1.0

        grid[:, 0] = occupied
        grid[:, 1] = playable
        grid[:, 2] = self._points_up
        grid[:, BOARD_PLANES:] = legal_flat.reshape(batch, spec.num_slots, spec.rows, spec.cols)

        legal_per_slot = legal_flat.reshape(batch, spec.num_slots, -1).sum(axis=2)
        slot_block = other[:, : spec.num_slots * SLOT_SCALARS].reshape(
            batch, spec.num_slots, SLOT_SCALARS
        )
        for i, engine in enumerate(engines):
            for slot, shape in enumerate(engine.get_shapes_cpp()):
                if shape is not None:
                    slot_block[i, slot, :5] = self._shape_summary(shape[0])
        slot_block[:, :, 5] = legal_per_slot / self._cells
        tail = spec.num_slots * SLOT_SCALARS
        playable_cells = np.maximum(playable.sum(axis=(1, 2)), 1)
        other[:, tail] = (occupied & playable).sum(axis=(1, 2)) / playable_cells
        other[:, tail + 1] = counts / self._action_dim
        return FeatureBatch(grid=grid, other=other)

    def _shape_summary(self, triangles: list[tuple[int, int, bool]]) -> tuple[float, ...]:
        """Present, size, up-count, bbox height and width of a shape, memoised per shape."""
        key = tuple(triangles)
        summary = self._shape_cache.get(key)
        if summary is None:
            rows = [t[0] for t in triangles]
            cols = [t[1] for t in triangles]
            up = sum(1 for t in triangles if t[2])
            summary = (
                1.0,
                len(triangles) / _MAX_SHAPE_EXTENT,
                up / _MAX_SHAPE_EXTENT,
                (max(rows) - min(rows) + 1) / _MAX_SHAPE_EXTENT,
                (max(cols) - min(cols) + 1) / _MAX_SHAPE_EXTENT,
            )
            self._shape_cache[key] = summary
        return summary
