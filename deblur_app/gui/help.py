"""The Help page (F1): what each method is for, how to compare them, and the keys."""
from __future__ import annotations

from ..engine.methods import METHODS


def help_markdown() -> str:
    methods = "\n".join(f"- **{m.title}**: {m.purpose}" for m in METHODS)
    return f"""# Deblur Studio

Open a photo (Ctrl+O or drop it on the window), look, then save (Ctrl+S).  Originals are never
changed.

## Which method?

{methods}

Not sure?  Try both on the part in view (Ctrl+Shift+R, a few seconds each) and press **C** to
step the after view through Before and each method's result; the label in the corner names
the method and its settings.

## Seeing and keeping results

- **Preview** (Ctrl+Shift+R): the whole visible area at screen resolution; at Fit, the whole
  photo, shrunk.  Zoom in to judge fine detail.
- **Whole photo** (Ctrl+R): fills in tile by tile; Esc cancels and keeps what is done (the rest,
  hatched, shows the original).
- **Coarse / Mid / Fine** (1, 2, 3): the network's three outputs.  **Space** flips to the
  original.  **Y / X / A**: side by side, split, after only.
- Sharpening, contrast and the blend apply live; **Ctrl+Z / Ctrl+Shift+Z** undo and redo them.
- Leaving a photo with an unsaved whole-photo result asks first; the last few results stay in
  memory: **Alt+Left** (File ▸ Back) returns to them.
- **Batch** tab (Alt+2): a folder or many photos with the current method and look.
"""
