"""Chip descriptions: every shipped file loads, every figure cites a source, bad files fail."""
import pytest

from spikemem import ModelError
from spikemem.hal.chips import REQUIRED, REQUIRED_ARITHMETIC, SECTIONS, chip_names, load_chip


def test_shipped_chips():
    assert chip_names() == ["loihi1", "loihi2", "spinnaker1", "spinnaker2"]
    for name in chip_names():
        chip = load_chip(name)
        assert chip.name == name
        for section in SECTIONS:
            for key, fig in getattr(chip, section).items():
                assert fig.source in chip.sources, (name, section, key)
        for section, keys in dict(REQUIRED, arithmetic=REQUIRED_ARITHMETIC[chip.family]).items():
            assert set(keys) <= set(getattr(chip, section))


def test_issue_figures():
    l1, s1 = load_chip("loihi1"), load_chip("spinnaker1")
    assert l1.limit("cores_per_chip") == 128 and l1.limit("neurons_per_core") == 1024
    assert l1.limit("input_axons_per_core") == l1.limit("output_axons_per_core") == 4096
    assert l1.limit("synapse_memory_bits_per_core") == 1_048_576
    assert l1.energy["synaptic_op_pj"].value == 23.6
    assert (l1.arith("state_bits"), l1.arith("decay_bits"), l1.arith("threshold_bits"),
            l1.arith("threshold_shift")) == (24, 12, 17, 6)
    assert s1.limit("neurons_per_core") == 256 and s1.limit("routing_entries_per_chip") == 1023
    assert (s1.arith("integer_bits"), s1.arith("fraction_bits")) == (16, 15)
    assert not load_chip("loihi2").energy["synaptic_op_pj"].confirmed
    assert "unconfirmed" in load_chip("loihi2").cite("energy", "synaptic_op_pj", "pJ")


def _text(name):
    import importlib.resources
    return (importlib.resources.files("spikemem.hardware") / f"{name}.toml").read_text()


def test_user_chip_file(tmp_path):
    path = tmp_path / "bigcore.toml"
    path.write_text(_text("loihi1").replace('name = "loihi1"', 'name = "bigcore"').replace(
        "neurons_per_core = { value = 1024", "neurons_per_core = { value = 4096"))
    chip = load_chip(str(path))
    assert chip.name == "bigcore" and chip.limit("neurons_per_core") == 4096


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('source = "davies2018" }', 'source = "nowhere" }', 1), "nowhere"),
    (lambda t: t.replace("synaptic_op_pj", "other_pj"), "synaptic_op_pj"),
    (lambda t: t.replace('family = "loihi"', 'family = "truenorth"'), "truenorth"),
    (lambda t: t.replace("cores_per_chip = { value = 128,", "cores_per_chip = { v = 128,"),
     "cores_per_chip"),
    (lambda t: t + "\n[[[", "not valid TOML"),
])
def test_bad_chip_files(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit(_text("loihi1")))
    with pytest.raises(ModelError, match=message):
        load_chip(str(path))


def test_unknown_chip():
    with pytest.raises(ModelError, match="unknown chip 'loihi9'.*loihi1"):
        load_chip("loihi9")
    with pytest.raises(ModelError, match="does not exist"):
        load_chip("/no/such/chip.toml")
