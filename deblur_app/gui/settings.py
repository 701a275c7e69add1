"""Preferences kept between runs (QSettings): folders, model, device, finishing, layout, batch.

    settings = Settings()                        # the user's settings (organisation/app names)
    settings = Settings.at("/tmp/test.ini")      # a private file (tests, screenshots)

Every key is read through a typed property with a default, so a missing or damaged value
never stops the app.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..imaging.postprocess import PostSettings

ORGANIZATION = "Deblur Studio"
APPLICATION = "Deblur Studio"


class Settings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)

    @classmethod
    def at(cls, path: str | Path) -> "Settings":
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    # -- typed access ---------------------------------------------------------------------
    def _get(self, key: str, default, kind=str):
        value = self.q.value(key, None)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in (
                    "1", "true", "yes", "on")
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()

    def _path_property(key: str):  # noqa: N805 - a property factory used in the class body
        def get(self) -> str:
            return self._get(key, "")

        def put(self, value) -> None:
            self._set(key, str(value) if value else "")
        return property(get, put)

    def _value_property(key: str, default, kind):  # noqa: N805
        def get(self):
            return self._get(key, default, kind)

        def put(self, value) -> None:
            self._set(key, kind(value))
        return property(get, put)

    # -- folders ----------------------------------------------------------------------------
    open_dir = _path_property("folders/open")
    save_dir = _path_property("folders/save")
    batch_dir = _path_property("folders/batch")
    weights_dir = _path_property("folders/weights")

    # -- engine -----------------------------------------------------------------------------
    model = _value_property("engine/model", "", str)           # shipped name, or a file path
    device = _value_property("engine/device", "auto", str)
    precision = _value_property("engine/precision", "auto", str)   # auto | fp32 | int8
    custom_weights = _path_property("engine/custom_weights")
    auto_preview = _value_property("engine/auto_preview", True, bool)
    method = _value_property("engine/method", "auto", str)  # auto | network | shake
    shake_kernel_size = _value_property("shake/kernel_size", 0, int)   # 0 = auto
    shake_detail = _value_property("shake/detail", -1.0, float)        # < 0 = auto

    # -- look -------------------------------------------------------------------------------
    @property
    def post(self) -> PostSettings:
        self.q.beginGroup("post")
        try:
            data = {k: self.q.value(k) for k in self.q.childKeys()}
        finally:
            self.q.endGroup()
        try:
            return PostSettings.from_dict(data)
        except (TypeError, ValueError):
            return PostSettings()

    @post.setter
    def post(self, value: PostSettings) -> None:
        for k, v in value.as_dict().items():
            self._set(f"post/{k}", float(v))

    strength = _value_property("post_blend/strength", 1.0, float)
    scale = _value_property("view/scale", "fine", str)
    view_mode = _value_property("view/mode", "side", str)

    # -- batch ------------------------------------------------------------------------------
    batch_recursive = _value_property("batch/recursive", False, bool)
    batch_suffix = _value_property("batch/suffix", "_deblurred", str)
    batch_format = _value_property("batch/format", "same", str)
    batch_scale = _value_property("batch/scale", "fine", str)
    batch_skip_existing = _value_property("batch/skip_existing", True, bool)
    batch_outdir = _path_property("batch/outdir")

    # -- window -----------------------------------------------------------------------------
    first_run_done = _value_property("app/first_run_done", False, bool)
    theme = _value_property("app/theme", "system", str)

    @property
    def window_geometry(self) -> QByteArray | None:
        v = self.q.value("window/geometry")
        return v if isinstance(v, QByteArray) else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._set("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        v = self.q.value("window/state")
        return v if isinstance(v, QByteArray) else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._set("window/state", value)

    current_tab = _value_property("window/tab", 0, int)

    @property
    def recent_files(self) -> list[str]:
        """Photos opened lately, newest first."""
        import json
        try:
            value = json.loads(self._get("app/recent_files", "[]"))
        except ValueError:
            return []
        return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []

    @recent_files.setter
    def recent_files(self, paths: list[str]) -> None:
        import json
        self._set("app/recent_files", json.dumps([str(p) for p in paths]))

    del _path_property, _value_property
