"""trianglengin's shape templates, the table every refill draws from.

Copied from `PREDEFINED_SHAPE_TEMPLATES_CPP` in trianglengin 2.0.7's
`cpp/shape_logic.cpp`, in its order; the engine does not expose it to Python. A
refill fills every slot with a template drawn uniformly from these 31 entries (and a
colour, which the rules never read). Eight shapes appear twice, so they come twice
as often; `tests/test_game_model.py` checks this table against a large sample of the
engine's own refills. Each triangle is `(row offset, column offset, points_up)`
from the shape's anchor cell.
"""

from __future__ import annotations

from collections.abc import Iterable

Triangle = tuple[int, int, bool]
Template = tuple[Triangle, ...]

TRIANGLENGIN_SHAPE_TEMPLATES: tuple[Template, ...] = (
    ((0, 0, True),),
    ((0, 0, True),),
    ((0, 0, True), (1, 0, False)),
    ((0, 0, True), (1, 0, False)),
    ((0, 0, False),),
    ((0, 0, True), (0, 1, False)),
    ((0, 0, True), (0, 1, False)),
    ((0, 0, False), (0, 1, True)),
    ((0, 0, False), (0, 1, True)),
    ((0, 0, True), (0, 1, False), (0, 2, True)),
    ((0, 0, False), (0, 1, True), (0, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 2, False)),
    ((0, 0, False), (0, 1, True), (1, 0, True), (1, 1, False)),
    ((0, 0, True), (0, 2, True), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (1, -2, False), (1, -1, True), (1, 0, False)),
    ((0, 0, True), (0, 1, False), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (0, 1, False), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False), (1, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (0, 2, True), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (0, 1, False), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, False), (0, 1, True), (1, 1, False)),
    ((0, 0, True), (1, -1, True), (1, 0, False)),
    ((0, 0, True), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (1, -1, True), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (1, -1, True), (1, 0, False)),
    ((0, 0, False), (0, 1, True), (0, 2, False), (1, 1, False)),
    ((0, 0, False), (0, 1, True), (1, 1, False)),
    ((0, 0, True), (0, 1, False), (1, 0, False)),
)
"""The engine's 31 template entries, duplicates included (they set the frequencies)."""


def template_key(triangles: Iterable[tuple[int, int, bool]]) -> Template:
    """A shape's triangles in a canonical order, whatever order the engine lists them in."""
    return tuple(sorted((int(r), int(c), bool(up)) for r, c, up in triangles))
