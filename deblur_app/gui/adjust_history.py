"""Undo and Redo of the adjustments (sharpening, contrast, blend): a list of settled states
and where we are in it.  No Qt; the window records a state once the sliders stop moving."""
from __future__ import annotations

from typing import Hashable

KEPT = 100


class AdjustHistory:
    def __init__(self, state: Hashable):
        self.states = [state]
        self.index = 0

    @property
    def current(self):
        return self.states[self.index]

    def record(self, state: Hashable) -> bool:
        """A new settled state (drops what was undone); False when nothing changed."""
        if state == self.current:
            return False
        del self.states[self.index + 1:]
        self.states.append(state)
        del self.states[:-KEPT]
        self.index = len(self.states) - 1
        return True

    def can_undo(self) -> bool:
        return self.index > 0

    def can_redo(self) -> bool:
        return self.index < len(self.states) - 1

    def undo(self):
        if self.can_undo():
            self.index -= 1
        return self.current

    def redo(self):
        if self.can_redo():
            self.index += 1
        return self.current
