"""Every weights format loads, the variant is recognised, damaged files give clear messages."""
import pytest
import torch

from deblur_app.model import WeightsError, build, load_model, save_safetensors


@pytest.mark.parametrize("variant", ["mimo-unet-lite", "mimo-unet"])
def test_formats_and_detection(tmp_path, variant):
    model = build(variant)
    sd = model.state_dict()
    torch.save({"model": sd}, tmp_path / "orig.pkl")
    torch.save(sd, tmp_path / "plain.pth")
    torch.save({"module." + k: v for k, v in sd.items()}, tmp_path / "ddp.pt")
    save_safetensors(model, tmp_path / "w.safetensors", half=True)
    for name in ("orig.pkl", "plain.pth", "ddp.pt", "w.safetensors"):
        loaded, found = load_model(tmp_path / name)
        assert found.name == variant
        a = loaded.state_dict()["Encoder.0.layers.0.main.0.main.0.weight"]
        assert torch.allclose(a, sd["Encoder.0.layers.0.main.0.main.0.weight"], atol=1e-3)


def test_pickled_code_is_never_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("open(%r, 'w').write('pwned')" % str(tmp_path / "pwned"),))
    torch.save({"model": Evil()}, tmp_path / "evil.pkl")
    with pytest.raises(WeightsError, match="not a PyTorch checkpoint that can be read safely"):
        load_model(tmp_path / "evil.pkl")
    assert not (tmp_path / "pwned").exists()


def test_wrong_keys_are_named(tmp_path):
    sd = build("mimo-unet-lite").state_dict()
    del sd["SCM1.conv.main.0.weight"]
    sd["extra.weight"] = torch.zeros(1)
    torch.save(sd, tmp_path / "damaged.pth")
    with pytest.raises(WeightsError) as e:
        load_model(tmp_path / "damaged.pth")
    msg = str(e.value)
    assert "damaged.pth" in msg and "missing: SCM1.conv.main.0.weight" in msg
    assert "unexpected: extra.weight" in msg


@pytest.mark.parametrize("content,expect", [
    (b"", "not a PyTorch checkpoint"), (b"hello", "not a PyTorch checkpoint")])
def test_not_a_checkpoint(tmp_path, content, expect):
    p = tmp_path / "x.pth"
    p.write_bytes(content)
    with pytest.raises(WeightsError, match=expect):
        load_model(p)
    q = tmp_path / "x.safetensors"
    q.write_bytes(content + b"garbage" * 3)
    with pytest.raises(WeightsError, match="not a valid safetensors"):
        load_model(q)


def test_other_network_is_rejected(tmp_path):
    torch.save({"model": {"conv1.weight": torch.zeros(3, 3, 3, 3)}}, tmp_path / "resnet.pth")
    with pytest.raises(WeightsError, match="not MIMO-UNet weights"):
        load_model(tmp_path / "resnet.pth")
