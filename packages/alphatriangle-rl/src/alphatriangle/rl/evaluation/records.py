"""What one evaluation game leaves behind: its outcome and, when asked, every position.

Players of every kind (baselines stepping one game, network players stepping a
batch) follow a game through a `GameTracker`, so scores, lengths, cleared triangles
and recorded frames are counted the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState


@dataclass(frozen=True, slots=True)
class ShapeView:
    """A shape in a slot: its triangles `(row, col, points_up)` and RGB colour."""

    triangles: tuple[tuple[int, int, bool], ...]
    color: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Frame:
    """The board and the shapes in their slots, and the move then played (-1: game over)."""

    occupied: NDArray[np.bool_]
    color_id: NDArray[np.int8]
    death: NDArray[np.bool_]
    shapes: tuple[ShapeView | None, ...]
    action: int
    score: float
    """Score before the move."""

    @classmethod
    def of(cls, state: GameState, action: int) -> Frame:
        grid = state.get_grid_data_np()
        shapes = tuple(
            None
            if shape is None
            else ShapeView(
                triangles=tuple((int(r), int(c), bool(up)) for r, c, up in shape.triangles),
                color=(int(shape.color[0]), int(shape.color[1]), int(shape.color[2])),
            )
            for shape in state.get_shapes()
        )
        return cls(
            occupied=grid["occupied"].copy(),
            color_id=grid["color_id"].copy(),
            death=grid["death"].copy(),
            shapes=shapes,
            action=action,
            score=float(state.game_score()),
        )


@dataclass(frozen=True, slots=True)
class GameRecord:
    """How one game on one seed went."""

    seed: int
    score: float
    length: int
    triangles_cleared: int
    truncated: bool
    """Stopped at `max_moves` rather than ending."""
    frames: tuple[Frame, ...] = ()
    """Every position with the move played, then the final position; empty unless recorded."""


@dataclass(slots=True)
class GameTracker:
    """Counts one game as it is played; records frames when `record` is set."""

    seed: int
    record: bool
    length: int = 0
    triangles_cleared: int = 0
    frames: list[Frame] = field(default_factory=list)

    def before_move(self, state: GameState, action: int) -> None:
        if self.record:
            self.frames.append(Frame.of(state, action))

    def after_move(self, state: GameState) -> None:
        self.length += 1
        self.triangles_cleared += int(state.get_last_cleared_triangles())

    def finish(self, state: GameState, *, truncated: bool) -> GameRecord:
        if self.record:
            self.frames.append(Frame.of(state, -1))
        return GameRecord(
            seed=self.seed,
            score=float(state.game_score()),
            length=self.length,
            triangles_cleared=self.triangles_cleared,
            truncated=truncated,
            frames=tuple(self.frames),
        )
