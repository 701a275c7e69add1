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
    assert shipped.default_model_for("cuda") == "mimo-unet-lite"  # the only one there
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
