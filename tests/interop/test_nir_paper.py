"""The NIR paper's own graphs (tests/interop/data, README there), imported and compared with
Norse: the recorded single-LIF trace, the Braille RNN (subtract reset, and zero reset with
biases into the synapses) and the Sinabs CNN of IF nodes, spike for spike.

spikemem's projections take one step each where Norse's feed-forward edges take none, so a
node k hops from the input fires exactly k steps after Norse does (docs/interop/nir.md).
"""
import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

import spikemem as sm

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")

DATA = Path(__file__).parent / "data"
#: the files shipped, as hashed in data/README.md (cnn: of the file inside the gzip)
SHA256 = {
    "braille_noDelay_noBias_subtract.nir":
        "14f59e0903d76437be3cb23d7e4be6b4e08ea476e482f7478dbb4592b29377d3",
    "braille_noDelay_bias_zero.nir":
        "f1aab3ce74024e7feac508a03b04c58d483ee3a01e293dba4b53d0b519b8650e",
    "cnn_sinabs.nir.gz": "e2fa55bda7aab5a772485e1b690358bcb825b303eca7dc426e3973937fcb5bcb",
    "lif_norse.nir": "0dd9143ef624892d4a6461f474d93653a337b3490a62e23ec9ec5d18fde9b7b6",
    "lif_norse.csv": "300d80dc21d67137740722caefb6d9a2f267331bfe682051ed99ac41a9cd0448",
}


@pytest.fixture(scope="module")
def norse_ref():
    return dict(np.load(DATA / "norse_references.npz"))


@pytest.fixture(scope="module")
def cnn_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn") / "cnn_sinabs.nir"
    path.write_bytes(gzip.decompress((DATA / "cnn_sinabs.nir.gz").read_bytes()))
    return path


def assert_shifted(got, ref, depth, what):
    """spikemem's spikes are Norse's, `depth` steps later."""
    assert ref.sum() > 5, f"{what}: the reference is too quiet to compare"
    np.testing.assert_array_equal(got[depth:], ref[:-depth], err_msg=what)


def test_shipped_files_are_the_papers(cnn_path):
    for name, digest in SHA256.items():
        data = cnn_path.read_bytes() if name.endswith(".gz") else (DATA / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name


def test_single_lif_neuron_gives_norses_recorded_trace():
    """lif_norse.nir read at the paper's dt = 1e-4 s against the trace Norse recorded."""
    trace = np.loadtxt(DATA / "lif_norse.csv", delimiter=",")  # input, v, spike per step
    net = sm.import_nir(DATA / "lif_norse.nir", dt=1e-4)
    source, (pop,) = list(net.sources)[0], list(net.populations)
    net.record(pop, "v")
    steps = len(trace)
    res = sm.compile(net).run(steps, inputs={source: trace[:, :1] > 0})
    assert trace[:, 2].sum() == 4
    np.testing.assert_array_equal(res.spikes[pop][1:, 0], trace[:-1, 2] > 0)
    np.testing.assert_allclose(res.traces[pop]["v"][1:, 0], trace[:-1, 1], atol=1e-6)  # float32


@pytest.mark.parametrize("graph,reset", [("subtract", "subtract"), ("zero", "zero")])
def test_braille_rnn_gives_norses_spikes(norse_ref, graph, reset):
    """Done-when: the Braille graph trained with subtract reset, imported with
    reset="subtract", gives Norse's reset_subtract spikes exactly (hidden layer one step,
    output two steps later); the zero-reset graph's Affine biases feed the CubaLIF synapses
    and are carried by the always-on source."""
    name = {"subtract": "braille_noDelay_noBias_subtract.nir",
            "zero": "braille_noDelay_bias_zero.nir"}[graph]
    net = sm.import_nir(DATA / name, dt=1e-4, reset=reset)
    assert list(net.populations) == ["lif1.lif", "lif2"]
    assert [(p.target, p.variable) for p in net.probes] == [("lif2", "spikes")]
    net.record("lif1.lif")
    x = norse_ref[f"braille_{graph}_input"]
    res = sm.compile(net).run(len(x), inputs={"input": x})
    assert_shifted(res.spikes["lif1.lif"], norse_ref[f"braille_{graph}_hidden"], 1, "hidden")
    assert_shifted(res.spikes["lif2"], norse_ref[f"braille_{graph}_output"], 2, "output")
    if graph == "zero":
        # fc1's bias rides on the input (arrives at step 1), lif1.w_rec's and fc2's on lif1's
        # spikes (step 2)
        assert list(net.sources) == ["input", "bias"]
        assert sorted((p.post, p.uniform_delay) for p in net.projections.values()
                      if p.pre == "bias") == [("lif1.lif", 1), ("lif1.lif", 2), ("lif2", 2)]


def test_braille_read_with_zero_reset_is_another_network(norse_ref):
    """Failure 2 of issue 19: NIR stores only v_reset, so the subtract-trained graph read
    without reset="subtract" is a zero-reset network with other spikes."""
    x = norse_ref["braille_subtract_input"]
    spikes = {}
    for reset in (None, "subtract"):
        net = sm.import_nir(DATA / "braille_noDelay_noBias_subtract.nir", dt=1e-4, reset=reset)
        assert {p.model.reset for p in net.populations.values()} == {reset or "zero"}
        net.record("lif1.lif")
        spikes[reset] = sm.compile(net).run(len(x), inputs={"input": x}).spikes["lif1.lif"]
    assert spikes[None].sum() != spikes["subtract"].sum()


@pytest.mark.parametrize("dt", [1e-4, 1e-3])
def test_sinabs_cnn_read_discrete_gives_norses_spikes(norse_ref, cnn_path, dt):
    """Done-when: the CNN of IF nodes read with the paper's step (1e-4 s; its Norse run used
    Norse's default 1e-3 s) warns that every gain dt * r is tiny and names discrete=True;
    read so, every one of its five layers gives Norse's spikes."""
    with pytest.warns(UserWarning, match="discrete=True"):
        silent = sm.import_nir(cnn_path, dt=dt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = sm.import_nir(cnn_path, dt=dt, discrete=True)
    x = norse_ref["cnn_input"].reshape(len(norse_ref["cnn_input"]), -1)
    for name in net.populations:
        net.record(name)
        silent.record(name)
    assert sm.compile(silent).run(len(x), inputs={"input": x}).spikes["_1"].sum() == 0
    res = sm.compile(net).run(len(x), inputs={"input": x})
    assert [type(net.projections[k].tied).__name__ for k in ("input->_1", "_1->_3")] == \
        ["Conv2d", "Conv2d"]
    for depth, k in enumerate((1, 3, 6, 10, 12), start=1):
        assert_shifted(res.spikes[f"_{k}"], norse_ref[f"cnn_layer{k}"], depth, f"layer {k}")
