"""The processing record: what Deblur Studio did to a photo, written into the output's XMP.

Three places, so that every tool finds it:

- ``xmp:CreatorTool`` names the software and version (Lightroom's "Software" field);
- a new ``xmpMM:History`` event (``stEvt:action`` "edited", or "converted" when the format
  changed, ``softwareAgent``, ``when``, ``parameters`` with the settings in words), which
  Lightroom, Bridge and ``exiftool -XMP-xmpMM:all`` show;
- our own namespace (prefix ``deblur``) with one property per setting, for reading back
  exactly (:func:`read_record`): Method, Model, WeightsHash, Scale, SharpenAmount,
  SharpenRadius, Contrast, Strength, Software.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path

import exiv2

from deblur_app import __version__
from deblur_app.imaging.metadata import Metadata, read_metadata

__all__ = ["NAMESPACE", "PREFIX", "SOFTWARE", "ProcessingRecord", "read_record",
           "record_from_metadata", "weights_hash", "write_record"]

SOFTWARE = "Deblur Studio"
NAMESPACE = "http://deblur-studio.github.io/ns/1.0/"
PREFIX = "deblur"
exiv2.XmpProperties.registerNs(NAMESPACE, PREFIX)


@dataclass(frozen=True)
class ProcessingRecord:
    """The settings an output was made with (one small, flat record)."""

    method: str                   # "MIMO-UNet" (the network) or the classical method's name
    model: str = ""               # the weights' name, e.g. "mimo-unet-lite"
    weights_hash: str = ""        # the first 12 hex digits of the weights file's SHA-256
    scale: str = "fine"           # coarse | mid | fine
    sharpen_amount: float = 0.0
    sharpen_radius: float = 0.0
    contrast: float = 0.0
    strength: float = 1.0         # blend with the original: 0 = original, 1 = deblurred
    software: str = f"{SOFTWARE} {__version__}"
    kernel_size: str = ""         # shake estimation: the kernel found ("31 px"), or "none"
    detail: str = ""              # shake estimation: the detail setting ("0.3" or "auto")
    auto_choice: str = ""         # method Auto: what it chose (network, shake, unchanged)
    auto_reason: str = ""         # ... and why

    def summary(self) -> str:
        """The settings in words (the History event's ``parameters``)."""
        model = ", ".join(p for p in (self.model, self.weights_hash and
                                      f"weights {self.weights_hash}") if p)
        parts = [f"deblurred with {self.method}" + (f" ({model})" if model else "")]
        if self.auto_choice:
            parts.append(f"Auto chose {self.auto_choice}: {self.auto_reason}")
        if self.kernel_size:
            parts.append(f"kernel {self.kernel_size}")
        if self.detail:
            parts.append(f"detail {self.detail}")
        parts.append(f"{self.scale} scale")
        if self.sharpen_amount:
            parts.append(f"sharpen {self.sharpen_amount:g} (radius {self.sharpen_radius:g})")
        if self.contrast:
            parts.append(f"contrast {self.contrast:g}")
        parts.append(f"strength {self.strength * 100:g} %")
        return ", ".join(parts)


# property name in our namespace -> field of ProcessingRecord
_PROPERTIES = {
    "Method": "method", "Model": "model", "WeightsHash": "weights_hash", "Scale": "scale",
    "SharpenAmount": "sharpen_amount", "SharpenRadius": "sharpen_radius",
    "Contrast": "contrast", "Strength": "strength", "Software": "software",
    "KernelSize": "kernel_size", "Detail": "detail",
    "AutoChoice": "auto_choice", "AutoReason": "auto_reason",
}
_FLOAT_FIELDS = {f.name for f in fields(ProcessingRecord) if f.type == "float"}


def _history_length(xmp) -> int:
    count = 0
    for datum in xmp:
        key = datum.key()
        if key.startswith("Xmp.xmpMM.History[") and "]" in key:
            count = max(count, int(key[len("Xmp.xmpMM.History["):key.index("]")]))
    return count


def write_record(meta: Metadata, record: ProcessingRecord, *, converted: bool,
                 when: datetime | None = None) -> None:
    """Add ``record`` to ``meta``'s XMP (see the module docstring)."""
    xmp = meta.xmp
    stamp = (when or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds")
    xmp["Xmp.xmp.CreatorTool"] = record.software
    xmp["Xmp.xmp.ModifyDate"] = stamp
    xmp["Xmp.xmp.MetadataDate"] = stamp
    n = _history_length(xmp)
    if n == 0:
        seq = exiv2.XmpTextValue()
        seq.setXmpArrayType(exiv2.XmpValue.XmpArrayType.xaSeq)
        xmp.add(exiv2.XmpKey("Xmp.xmpMM.History"), seq)
    event = f"Xmp.xmpMM.History[{n + 1}]/stEvt:"
    xmp[event + "action"] = "converted" if converted else "edited"
    xmp[event + "softwareAgent"] = record.software
    xmp[event + "when"] = stamp
    xmp[event + "parameters"] = record.summary()
    xmp[event + "changed"] = "/"
    instance = meta.get("Xmp.xmpMM.InstanceID")
    if instance:
        xmp[event + "instanceID"] = instance
    for prop, name in _PROPERTIES.items():
        value = getattr(record, name)
        if name in ("kernel_size", "detail", "auto_choice", "auto_reason") and not value:
            continue                  # only the records of the method that uses them
        xmp[f"Xmp.{PREFIX}.{prop}"] = f"{value:g}" if isinstance(value, float) else str(value)


def record_from_metadata(meta: Metadata) -> ProcessingRecord | None:
    """The record ``write_record`` left in ``meta``, or None when there is none."""
    values = {}
    for prop, name in _PROPERTIES.items():
        text = meta.get(f"Xmp.{PREFIX}.{prop}")
        if text is None:
            continue
        try:
            values[name] = float(text) if name in _FLOAT_FIELDS else text
        except ValueError:
            continue
    if "method" not in values:
        return None
    return ProcessingRecord(**values)


def read_record(path: str | os.PathLike) -> ProcessingRecord | None:
    """The processing record of an output file, or None (no record, or unreadable)."""
    try:
        return record_from_metadata(read_metadata(path))
    except (OSError, ValueError):
        return None


def weights_hash(path: str | os.PathLike | None) -> str:
    """The first 12 hex digits of a weights file's SHA-256 ('' for no file)."""
    if not path:
        return ""
    p = Path(path)
    try:
        info = p.stat()
    except OSError:
        return ""
    return _hash_file(str(p.resolve()), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _hash_file(path: str, size: int, mtime_ns: int) -> str:  # size/mtime: a changed file rehashes
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


_NO_KERNEL = object()


def record_for(engine, scale: str, post, strength: float, kernel=_NO_KERNEL) -> ProcessingRecord:
    """The record of a run of ``engine`` (a network :class:`~deblur_app.engine.Deblurrer` or any
    engine with a ``method`` name), one ``scale``, finishing ``post`` (PostSettings) and
    blend ``strength``.  For shake estimation: the method's title, no model or weights (it has
    none), the kernel found (``kernel``, else the engine's last) and the detail setting.  For
    Auto: the record of the method it chose, with its choice and reason."""
    auto = getattr(engine, "last", None)     # method Auto: the record of what it chose
    if getattr(engine, "method", None) == "auto" and auto is not None:
        inner = (record_for(auto.engine, scale, post, strength, kernel)
                 if auto.engine is not None else record_for(None, scale, post, strength))
        return replace(inner, method="Auto", auto_choice=auto.choice, auto_reason=auto.reason)
    variant = getattr(engine, "variant", None)
    sharpen = float(getattr(post, "sharpen_amount", 0.0))
    kernel_size = detail = ""
    if getattr(engine, "method", None) == "shake":
        method, model, hash_ = getattr(variant, "title", "Shake estimation"), "", ""
        k = getattr(engine, "last_kernel", None) if kernel is _NO_KERNEL else kernel
        kernel_size = f"{k.shape[0]} px" if k is not None else "none (no clear shake found)"
        d = getattr(engine, "detail", None)
        detail = "auto" if d is None else f"{d:g}"
    else:
        method = getattr(engine, "method", None) or (variant.title.split(" ")[0] if variant
                                                     else type(engine).__name__)
        model = getattr(variant, "name", "") or ""
        hash_ = weights_hash(getattr(engine, "source", None))
    return ProcessingRecord(
        method=str(method), model=model, kernel_size=kernel_size, detail=detail,
        weights_hash=hash_, scale=scale,
        sharpen_amount=sharpen,
        sharpen_radius=float(getattr(post, "sharpen_radius", 0.0)) if sharpen else 0.0,
        contrast=float(getattr(post, "contrast", 0.0)), strength=float(strength))
