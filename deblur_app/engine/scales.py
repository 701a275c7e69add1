"""The network's three outputs: coarse (1/4 size), mid (1/2) and fine (full size).

The one table of scales: their names, size factors and titles.  Everything that names, sizes
or shows a scale (the engine, tiling, output names, the window) imports it from here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    factor: int          # the output is 1/factor of the photo's size
    title: str           # for people: "mid (1/2)"
    button: str          # short label for a tool button


SCALE_TABLE: tuple[Scale, ...] = (
    Scale("coarse", 4, "coarse (1/4)", "Coarse ¼"),
    Scale("mid", 2, "mid (1/2)", "Mid ½"),
    Scale("fine", 1, "fine (full size)", "Fine"),
)
SCALES: tuple[str, ...] = tuple(s.name for s in SCALE_TABLE)
FACTORS: dict[str, int] = {s.name: s.factor for s in SCALE_TABLE}
TITLES: dict[str, str] = {s.name: s.title for s in SCALE_TABLE}
BUTTONS: dict[str, str] = {s.name: s.button for s in SCALE_TABLE}
DEFAULT_SCALE = "fine"


def scale_size(width: int, height: int, scale: str) -> tuple[int, int]:
    """(width, height) of ``scale``'s output for a photo of ``width`` x ``height``
    (rounded up: a 5-px side gives 2 px at 1/4)."""
    f = FACTORS[scale]
    return -(-int(width) // f), -(-int(height) // f)


def scales_for(choice: str) -> tuple[str, ...]:
    """A user's choice ("fine", "mid", "coarse" or "all") as the scales to compute."""
    if choice == "all":
        return SCALES
    if choice not in FACTORS:
        raise ValueError(f"unknown scale {choice!r}: choose {', '.join(SCALES)} or all")
    return (choice,)
