"""The restoration methods a user can choose, in the order they are offered.

Every caller that lists methods (the window's Method choice, its Compare switch, the help
page) reads this one table, so a new method is one more entry here and its engine in
:func:`deblur_app.engine.opening` (or its own package).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodInfo:
    name: str          # the key: "network", "shake", ...
    title: str         # for menus and labels
    short: str         # one word, for the compare switch and the after label
    purpose: str       # what it is for, in a sentence or two (help page, tool tips)
    network: bool = False   # uses the network: needs weights and a device
    shake: bool = False     # uses shake estimation: its kernel size, detail and region apply


METHODS: tuple[MethodInfo, ...] = (
    MethodInfo("auto", "Auto (judged per photo)", "Auto",
               "Judges each photo: a sharp one is left as it is, a clear camera shake goes to "
               "shake estimation, any other blur to the network (keeping only the fine detail "
               "it adds, so tones never shift); the result says what was chosen and why.",
               network=True, shake=True),
    MethodInfo("network", "Network (MIMO-UNet)", "Network",
               "A neural network trained on motion-blurred photos. For any motion blur, also "
               "blur that differs across the photo (moving subjects, rotation); it also "
               "offers coarse and mid outputs. Runs on a GPU where there is one.", network=True),
    MethodInfo("shake", "Shake estimation", "Shake",
               "Finds the path the camera drew during the exposure (one blur kernel for the "
               "whole photo) and removes it by deconvolution. For camera shake on a still "
               "scene; it leaves the photo unchanged when it finds no clear shake.", shake=True),
)


def method_info(name: str) -> MethodInfo:
    for m in METHODS:
        if m.name == name:
            return m
    raise KeyError(f"unknown method {name!r}; known: {', '.join(m.name for m in METHODS)}")
