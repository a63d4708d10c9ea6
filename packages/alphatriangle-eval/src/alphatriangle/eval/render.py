"""Animated GIFs of recorded evaluation games, so a person can watch how a player plays.

Each frame shows the board (filled triangles in their colours, empty playable cells
grey), the shapes in their slots below it, and the move about to be played: the
chosen slot framed and the cells the shape will cover outlined in red. The last frame
is the final board. Drawn with Pillow; sizes come from the recorded board.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import Frame, GameRecord

from .names import ELLIPSIS, short_name

SIDE = 28
"""Side of one board triangle in pixels."""
HEIGHT = SIDE * math.sqrt(3) / 2
MARGIN = 10
LINE_HEIGHT = 14
"""Pixels per caption line."""
HEADER = 2 * LINE_HEIGHT + 6
"""The caption's two lines: the player, then seed, move and score."""
SLOT_SCALE = 0.5
"""Shapes in their slots are drawn at this fraction of the board's size."""
PALETTE = [
    (230, 80, 80),
    (80, 170, 230),
    (240, 200, 60),
    (120, 200, 110),
    (190, 120, 220),
    (250, 150, 70),
    (90, 210, 200),
    (220, 110, 170),
]
EMPTY = (215, 215, 215)
BACKGROUND = (30, 30, 36)
HIGHLIGHT = (255, 40, 40)
MOVE_MS = 350
MIN_WIDTH = 380
"""Wide enough for the caption on small boards."""
LAST_MS = 2500


def _triangle(x0: float, y0: float, col: int, row: int, side: float) -> list[tuple[float, float]]:
    height = side * math.sqrt(3) / 2
    x = x0 + col * side / 2
    y = y0 + row * height
    if (row + col) % 2 != 0:  # points up
        return [(x, y + height), (x + side, y + height), (x + side / 2, y)]
    return [(x, y), (x + side, y), (x + side / 2, y + height)]


def _shape_cells(
    triangles: Sequence[tuple[int, int, bool]], row: int, col: int
) -> list[tuple[int, int]]:
    return [(row + dr, col + dc) for dr, dc, _ in triangles]


def fit_text(draw: ImageDraw.ImageDraw, text: str, width: float) -> str:
    """`text`, its middle given up (`short_name`) until it fits in `width` pixels."""
    limit = len(text)
    while limit > len(ELLIPSIS) + 2 and draw.textlength(short_name(text, limit)) > width:
        limit -= 1
    return short_name(text, limit)


def caption_lines(
    draw: ImageDraw.ImageDraw, player: str, state: str, width: float
) -> tuple[str, str]:
    """The two caption lines, each within `width` pixels: the player's name (shortened
    in the middle if it must be), then seed, move and score."""
    return fit_text(draw, player, width), fit_text(draw, state, width)


def draw_frame(frame: Frame, env_config: EnvConfig, caption: str | tuple[str, str]) -> Image.Image:
    """One picture of `frame`: board, slots, the move about to be played and `caption`
    (the player, then the game's state: each line fitted to the picture's width)."""
    rows, cols, slots = env_config.ROWS, env_config.COLS, env_config.NUM_SHAPE_SLOTS
    board_w = (cols + 1) * SIDE / 2
    board_h = rows * HEIGHT
    slot_w = board_w / slots
    slot_h = 4 * HEIGHT * SLOT_SCALE + MARGIN
    width = max(int(board_w + 2 * MARGIN), MIN_WIDTH)
    height = int(HEADER + board_h + slot_h + 3 * MARGIN)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    player, state = (caption, "") if isinstance(caption, str) else caption
    for index, line in enumerate(caption_lines(draw, player, state, width - 2 * MARGIN)):
        draw.text((MARGIN, 4 + index * LINE_HEIGHT), line, fill=(240, 240, 240))
    top = HEADER + MARGIN
    for r in range(rows):
        for c in range(cols):
            if frame.death[r, c]:
                continue
            color = (
                PALETTE[int(frame.color_id[r, c]) % len(PALETTE)] if frame.occupied[r, c] else EMPTY
            )
            draw.polygon(_triangle(MARGIN, top, c, r, SIDE), fill=color, outline=BACKGROUND)
    chosen_slot = -1
    if frame.action >= 0:
        chosen_slot, cell = divmod(frame.action, rows * cols)
        shape = frame.shapes[chosen_slot] if chosen_slot < len(frame.shapes) else None
        if shape is not None:
            row, col = divmod(cell, cols)
            for r, c in _shape_cells(shape.triangles, row, col):
                draw.polygon(_triangle(MARGIN, top, c, r, SIDE), outline=HIGHLIGHT, width=3)
    slot_top = top + board_h + MARGIN
    small = SIDE * SLOT_SCALE
    for index, shape in enumerate(frame.shapes):
        left = MARGIN + index * slot_w
        if index == chosen_slot:
            draw.rectangle(
                [left + 2, slot_top - 2, left + slot_w - 2, slot_top + slot_h - 4],
                outline=HIGHLIGHT,
                width=2,
            )
        if shape is None:
            continue
        # A shape fits cells whose parity matches its triangles' orientation: shift it one
        # column when its own origin has the other parity, so each triangle keeps its own.
        first_r, first_c, first_up = shape.triangles[0]
        shift = 0 if ((first_r + first_c) % 2 != 0) == first_up else 1
        for dr, dc, _ in shape.triangles:
            points = _triangle(left + MARGIN, slot_top + MARGIN / 2, dc + shift, dr, small)
            draw.polygon(points, fill=shape.color, outline=BACKGROUND)
    return image


def render_game(record: GameRecord, env_config: EnvConfig, path: Path, player: str) -> Path:
    """Write the recorded game as an animated GIF (one frame per move, then the end)."""
    if not record.frames:
        raise ValueError(f"game on seed {record.seed} was not recorded")
    total = len(record.frames) - 1
    images = []
    for move, frame in enumerate(record.frames):
        state = f"move {move + 1}/{total}" if frame.action >= 0 else f"game over after {total}"
        caption = (player, f"seed {record.seed}  {state}  score {frame.score:.2f}")
        images.append(draw_frame(frame, env_config, caption))
    durations = [MOVE_MS] * (len(images) - 1) + [LAST_MS]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path
