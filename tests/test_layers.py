"""The house rule that keeps the core usable without a window: nothing outside gui/ loads Qt."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def non_gui_modules() -> list[str]:
    pkg = ROOT / "deblur_app"
    names = []
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "gui" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_no_module_outside_gui_loads_qt():
    modules = non_gui_modules()
    assert "deblur_app.cli" in modules and "deblur_app.batch.runner" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print('QT:' + ','.join(qt))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("QT:"), f"Qt was loaded by: {r.stdout.strip()}"


def test_the_document_model_of_the_window_needs_no_qt():
    code = ("import sys\n"
            "import deblur_app.gui.document, deblur_app.gui.pyramid, deblur_app.gui.look\n"
            "print('QT' if any(m.startswith('PySide6') for m in sys.modules) else 'none')\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "none"
