"""The one helper for shipped files finds them from source, from DEBLUR_STUDIO_HOME and in a bundle."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from deblur_app import bundle_entry, resources
from deblur_app.model import shipped

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def plain_env(monkeypatch):
    """Neither the override variable nor a bundle: the source-checkout case."""
    monkeypatch.delenv("DEBLUR_STUDIO_HOME", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    return monkeypatch


def make_layout(root: Path, photo: str = "shaken.jpg") -> Path:
    """The layout a bundle's _MEIPASS (or DEBLUR_STUDIO_HOME) has: weights/ and resources/."""
    (root / "weights").mkdir(parents=True)
    (root / "weights" / "mimo-unet-lite.safetensors").write_bytes(b"not really weights")
    (root / "weights" / "mimo-unet-lite.md").write_text("# model card\n")
    (root / "resources" / "samples").mkdir(parents=True)
    (root / "resources" / "samples" / "README.md").write_text("credits\n")
    (root / "resources" / "samples" / photo).write_bytes(b"\xff\xd8\xff")
    (root / "resources" / "icons").mkdir()
    (root / "resources" / "icons" / "deblur-studio.png").write_bytes(b"\x89PNG")
    return root


def test_from_source_finds_the_checkout(plain_env, tmp_path):
    plain_env.chdir(tmp_path)  # the working directory must not matter
    assert resources.app_root() == REPO
    assert resources.weights_dir() == REPO / "weights"
    assert sorted(resources.weights_dir().glob("*.safetensors")), "shipped weights missing"
    assert resources.resource_path("samples").is_dir()
    sample = resources.sample_photo()
    assert sample.parent == REPO / "resources" / "samples"
    assert sample.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
    assert shipped.shipped_weights("mimo-unet-lite").is_file()


def test_home_variable_overrides_the_root(plain_env, tmp_path):
    home = make_layout(tmp_path / "home")
    plain_env.setenv("DEBLUR_STUDIO_HOME", str(home))
    assert resources.app_root() == home
    assert resources.weights_dir() == home / "weights"
    assert resources.resource_path("icons", "deblur-studio.png").is_file()
    assert resources.sample_photo() == home / "resources" / "samples" / "shaken.jpg"
    assert shipped.available_shipped() == ["mimo-unet-lite"]
    assert shipped.default_model_for(True) == "mimo-unet-lite"  # the only one there
    assert shipped.model_card("mimo-unet-lite") == home / "weights" / "mimo-unet-lite.md"


def test_home_variable_wins_over_a_bundle(plain_env, tmp_path):
    home = make_layout(tmp_path / "home")
    bundle = make_layout(tmp_path / "bundle")
    plain_env.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    plain_env.setenv("DEBLUR_STUDIO_HOME", str(home))
    assert resources.app_root() == home


def test_bundle_layout_is_found_through_meipass(plain_env, tmp_path):
    bundle = make_layout(tmp_path / "_internal", photo="bridge.png")
    plain_env.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    plain_env.setattr(sys, "frozen", True, raising=False)
    plain_env.chdir(tmp_path)
    assert resources.app_root() == bundle
    assert resources.weights_dir() == bundle / "weights"
    assert resources.resource_path("samples", "README.md").is_file()
    assert resources.sample_photo() == bundle / "resources" / "samples" / "bridge.png"
    assert shipped.shipped_weights("mimo-unet-lite") == \
        bundle / "weights" / "mimo-unet-lite.safetensors"
    with pytest.raises(shipped.WeightsError, match="mimo-unet"):
        shipped.shipped_weights("mimo-unet")  # not in this bundle: a clear message


def test_sample_photo_missing_is_a_clear_error(plain_env, tmp_path):
    root = make_layout(tmp_path / "bundle")
    (root / "resources" / "samples" / "shaken.jpg").unlink()
    plain_env.setattr(sys, "_MEIPASS", str(root), raising=False)
    with pytest.raises(FileNotFoundError, match="no sample photo"):
        resources.sample_photo()


def test_source_tree_has_what_build_spec_bundles():
    """build.spec ships weights/*.safetensors and resources/** at the bundle's top level."""
    spec = (REPO / "build.spec").read_text()
    assert '_tree("weights", "weights"' in spec and '_tree("resources", "resources")' in spec
    assert (REPO / "deblur_app" / "training" / "data").is_dir()  # package data, collected too


@pytest.mark.parametrize("exe, program", [
    ("/opt/deblur-studio/deblur", "deblur"),
    ("C:/Program Files/Deblur Studio/deblur.exe", "deblur"),
    ("/opt/deblur-studio/deblur-studio", "deblur-studio"),
    ("/Applications/Deblur Studio.app/Contents/MacOS/deblur-studio", "deblur-studio"),
])
def test_bundle_entry_picks_the_program_by_executable_name(monkeypatch, exe, program):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", exe)
    assert bundle_entry.program_name() == program
    assert (program in bundle_entry.CLI_NAMES) == (program == "deblur")


def test_bundle_entry_runs_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/deblur-studio/deblur")
    monkeypatch.setattr(sys, "argv", ["deblur", "--version"])
    with pytest.raises(SystemExit) as exc:
        bundle_entry.main()
    assert exc.value.code == 0
    assert "deblur" in capsys.readouterr().out


# -- build.spec: the branches for platforms this machine cannot build -------------------------------
class _Target:
    """Stands in for PyInstaller's spec classes and records how the spec calls them."""
    made: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.name = kwargs.get("name")
        _Target.made.append(self)


class _Analysis(_Target):
    def __init__(self, scripts, **kwargs):
        super().__init__(scripts, **kwargs)
        self.pure, self.scripts, self.binaries = [], [], []
        self.datas = [(src, dest, "DATA") for src, dest in kwargs["datas"]]


def _installed_libs(package, search_patterns=()):
    """PyInstaller's collect_dynamic_libs on the installed package (its top folder's files)."""
    import fnmatch
    import importlib.util
    root = Path(importlib.util.find_spec(package).origin).parent
    return [(str(p), str(p.parent.relative_to(root.parent))) for p in sorted(root.rglob("*"))
            if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in search_patterns)]


def run_spec(monkeypatch, tmp_path, platform):
    """Execute build.spec as PyInstaller would, on `platform`, with stand-in build classes."""
    import types
    fake = {"PyInstaller": types.ModuleType("PyInstaller"),
            "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
            "PyInstaller.utils.hooks": types.ModuleType("PyInstaller.utils.hooks"),
            "PyInstaller.depend": types.ModuleType("PyInstaller.depend"),
            "PyInstaller.depend.bindepend": types.ModuleType("PyInstaller.depend.bindepend")}
    fake["PyInstaller.utils.hooks"].collect_data_files = lambda package, **kw: []
    fake["PyInstaller.utils.hooks"].collect_submodules = lambda package, filter=None: []
    fake["PyInstaller.utils.hooks"].collect_dynamic_libs = _installed_libs
    fake["PyInstaller.depend.bindepend"].get_imports = lambda filename: set()
    for name, module in fake.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.delenv("DEBLUR_BUNDLE_FULL", raising=False)
    _Target.made = []
    kinds = {k: type(k, (_Target,), {}) for k in ("PYZ", "EXE", "COLLECT", "BUNDLE")}
    namespace = {"SPECPATH": str(REPO), "workpath": str(tmp_path / "work"),
                 "DISTPATH": str(tmp_path / "dist"), "Analysis": _Analysis, "os": __import__("os"),
                 **kinds}
    exec(compile((REPO / "build.spec").read_text(), "build.spec", "exec"), namespace)
    made = {}
    for t in _Target.made:
        made.setdefault(type(t).__name__, []).append(t)
    return made


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_build_spec_makes_two_executables_in_one_folder(monkeypatch, tmp_path, platform):
    from deblur_app import __version__
    made = run_spec(monkeypatch, tmp_path, platform)
    (analysis,) = made["_Analysis"]
    assert analysis.args[0] == [str(REPO / "deblur_app" / "bundle_entry.py")]
    dests = {dest for _, dest, _ in analysis.datas}
    assert "weights" in dests and "resources/samples" in dests
    gui, cli = made["EXE"]
    assert (gui.name, gui.kwargs["console"]) == ("deblur-studio", False)
    assert (cli.name, cli.kwargs["console"]) == ("deblur", True)
    (coll,) = made["COLLECT"]
    assert coll.name == "deblur-studio" and coll.args[:2] == (gui, cli)  # GUI first: the .app's
    if platform == "win32":
        for exe in (gui, cli):
            assert exe.kwargs["icon"].endswith(".ico") and Path(exe.kwargs["icon"]).is_file()
            text = Path(exe.kwargs["version"]).read_text(encoding="utf-8")
            assert f"'{exe.name}.exe'" in text and f"'{__version__}'" in text
        assert "resources/icons" in dests  # the .ico, for the Inno Setup script
    else:
        assert gui.kwargs["icon"] is None and gui.kwargs["version"] is None
    if platform == "darwin":
        (app,) = made["BUNDLE"]
        assert app.args == (coll,) and app.name == "Deblur Studio.app"
        assert Path(app.kwargs["icon"]).suffix in (".icns", ".png")
        plist = app.kwargs["info_plist"]
        assert plist["LSBackgroundOnly"] is False  # the console CLI must not make it a daemon
        assert plist["CFBundleShortVersionString"] == __version__
        types_ = plist["CFBundleDocumentTypes"][0]["LSItemContentTypes"]
        assert {"public.jpeg", "public.png", "public.tiff"} <= set(types_)
    else:
        assert "BUNDLE" not in made


def test_build_spec_carries_openvino_runtime_and_only_the_plugins_used(monkeypatch, tmp_path):
    pytest.importorskip("openvino")
    (analysis,) = run_spec(monkeypatch, tmp_path, "linux")["_Analysis"]
    names = {Path(src).name: dest for src, dest in analysis.kwargs["binaries"]}
    wanted = ("libopenvino.so", "intel_cpu_plugin", "intel_gpu_plugin", "ir_frontend",
              "pytorch_frontend", "libtbb.so")
    for key in wanted:
        assert any(key in n and d == "openvino/libs" for n, d in names.items()), key
    for key in ("npu", "auto", "hetero", "onnx", "tensorflow", "paddle", "jax", "gguf"):
        assert not any(key in n for n in names), key
    assert "openvino.frontend.onnx" in analysis.kwargs["excludes"]
