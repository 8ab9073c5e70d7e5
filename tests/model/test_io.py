"""Network.save / spikemem.load: exact round trips (property tests), atomic writes, and
clear ModelFileErrors for files that are not spikemem models. No pickle is ever loaded."""
import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikemem as sm
import spikemem.model.archive as model_archive


# ---- comparing two networks field by field -------------------------------------------------
def assert_same_value(a, b, what):
    assert np.ndim(a) == np.ndim(b), what
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=what)


def assert_same_network(a, b):
    assert a.dt == b.dt
    assert list(a.populations) == list(b.populations)
    for name, p in a.populations.items():
        q = b.populations[name]
        assert (p.name, p.n) == (q.name, q.n)
        assert p.model == q.model and p.model.to_dict() == q.model.to_dict(), name
        assert p.model.receptor_names == q.model.receptor_names
        assert_same_value(p.bias, q.bias, f"{name} bias")
        assert_same_value(p.v_init, q.v_init, f"{name} v_init")
    assert list(a.sources) == list(b.sources)
    for name, s in a.sources.items():
        t = b.sources[name]
        assert (type(s), s.n, s.kind) == (type(t), t.n, t.kind), name
        if s.kind == "poisson":
            assert_same_value(s.rate_hz, t.rate_hz, f"{name} rate")
            assert s.seed == t.seed
        if s.kind == "spike_times":
            assert len(s.steps) == len(t.steps)
            for x, y in zip(s.steps, t.steps):
                assert x.dtype == y.dtype
                np.testing.assert_array_equal(x, y)
    assert list(a.projections) == list(b.projections)
    for name, p in a.projections.items():
        q = b.projections[name]
        assert (p.pre, p.post, p.receptor, p.shape, p.is_sparse) == \
            (q.pre, q.post, q.receptor, q.shape, q.is_sparse), name
        if p.is_sparse:
            for field in ("data", "indices", "indptr"):
                np.testing.assert_array_equal(getattr(p.weights, field),
                                              getattr(q.weights, field), err_msg=name)
        else:
            assert q.weights.dtype == np.float64
            np.testing.assert_array_equal(p.weights, q.weights, err_msg=name)
        assert_same_value(p.delay, q.delay, f"{name} delay")
        assert p.plasticity == q.plasticity, name
    assert a.probes == b.probes


def assert_same_results(r, s):
    for field in ("spikes", "counts", "weights"):
        x, y = getattr(r, field), getattr(s, field)
        assert x.keys() == y.keys(), field
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=f"{field} {k}")
    assert r.traces.keys() == s.traces.keys()
    for k in r.traces:
        for var in r.traces[k]:
            np.testing.assert_array_equal(r.traces[k][var], s.traces[k][var])


def round_trip(net):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.npz"
        net.save(path)
        assert sorted(os.listdir(d)) == ["model.npz"]  # no temp file left behind
        return sm.load(path)


# ---- property tests --------------------------------------------------------------------------
def add_extras(net, rng):
    """Features the random generator does not always use: all probe kinds, connectors,
    named projections, explicit zero synapses, empty sparse projections, inf bounds."""
    pops = list(net.populations)
    for p in pops:
        for var in ("i", "counts"):
            if rng.integers(2):
                net.record(p, var)
    net.record("in", "counts")
    first, last = net.populations[pops[0]], net.populations[pops[-1]]
    rec = first.receptors[-1]
    kind = rng.integers(4)
    if kind == 0:
        net.connect(last, first, sm.FixedFanIn(k=1, weight=sm.Normal(0.1, 0.3), seed=2),
                    receptor=rec, name="fan.in_1")
    elif kind == 1:
        # stored zero synapse, per-synapse sparse delays given as a sparse array
        w = sp.csr_array((np.array([0.0, 0.5]), np.array([0, 0]), np.array([0, 1, 2])),
                         shape=(2, first.n))
        net.source("two", 2)
        net.connect("two", first, w, delay=sp.csr_array((np.array([2, 3]), w.indices,
                                                         w.indptr), shape=w.shape),
                    receptor=rec, name="zero-syn")
    elif kind == 2:
        net.connect(last, first, sp.csr_array((last.n, first.n)), receptor=rec, name="empty")
    else:
        net.connect("in", first, sm.AllToAll(weight=sm.Uniform(0, 0.2), seed=4), receptor=rec,
                    plasticity=sm.oja(eta=0.01, tau=2.0), name="oja_inf_bounds")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), extras=st.booleans())
def test_save_load_round_trip_is_exact(make_network, seed, extras):
    rng = np.random.default_rng(seed)
    net, inputs = make_network(rng)
    if extras:
        add_extras(net, rng)
    loaded = round_trip(net)
    assert_same_network(net, loaded)
    assert_same_network(loaded, round_trip(loaded))
    x = inputs(20, batch=2, seed=seed % 1000)
    assert_same_results(sm.compile(net, seed=5).run(20, inputs=x),
                        sm.compile(loaded, seed=5).run(20, inputs=x))


@settings(max_examples=25, deadline=None)
@given(dt=st.floats(1e-3, 10.0), tau_mem=st.one_of(st.just(math.inf), st.floats(1e-3, 1e3)),
       taus=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=3),
       v=st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3, unique=True),
       reset=st.sampled_from(["zero", "subtract"]), refractory=st.integers(0, 50),
       per_neuron=st.booleans(), w_min=st.floats(-1e3, 0.0), w_max=st.floats(0.0, 1e3))
def test_round_trip_preserves_every_float_exactly(dt, tau_mem, taus, v, reset, refractory,
                                                  per_neuron, w_min, w_max):
    tau_syn = taus[0] if len(taus) == 1 else {f"r{k}": t for k, t in enumerate(taus)}
    model = sm.LIF(tau_mem=tau_mem, tau_syn=tau_syn, v_th=max(v[:2]), v_reset=min(v[:2]),
                   reset=reset, refractory=refractory, bias=v[2])  # v_th > v_reset
    net = sm.Network(dt=dt)
    net.poisson("poi", 3, np.array(v[:3]) % 100 if per_neuron else abs(v[0]) % 100, seed=7)
    net.spike_times("st", [[], [0, refractory], [5]])
    net.population("p", 3, model, bias=np.array(v) if per_neuron else None,
                   v_init=np.array(v[::-1]) if per_neuron else v[1])
    rule = sm.PlasticityRule("r", (sm.Trace("a", "pre", tau_mem, v[0], True, init=v[2]),),
                             (sm.Term(v[1], ("a", "post", "w")),), w_min=w_min, w_max=w_max)
    receptor = model.receptor_names[-1]
    net.connect("poi", "p", np.array(v)[:, None] * np.ones((3, 3)), receptor=receptor,
                plasticity=rule, delay=refractory + 1)
    net.connect("st", "p", sp.csr_array(np.diag(v)), receptor=receptor,
                delay=np.arange(9).reshape(3, 3) + 1)
    net.record("p", "v")
    assert_same_network(net, round_trip(net))


def test_loaded_network_is_independent_of_the_saved_one(tmp_path):
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2)
    net.connect("in", "p", np.ones((2, 2)))
    net.save(tmp_path / "a.npz")
    loaded = sm.load(tmp_path / "a.npz")
    loaded.set_weights("in->p", np.zeros((2, 2)))
    assert net.projections["in->p"].weights[0, 0] == 1.0
    assert sm.load(tmp_path / "a.npz").projections["in->p"].weights[0, 0] == 1.0


def test_save_accepts_str_paths_and_overwrites(tmp_path):
    net = sm.Network(dt=0.25)
    net.population("p", 3)
    path = str(tmp_path / "m.npz")
    net.save(path)
    net.population("q", 1)
    net.save(path)
    assert list(sm.load(path).populations) == ["p", "q"]
    assert sm.load(path).dt == 0.25


# ---- atomic writes -------------------------------------------------------------------------
def failing_savez(f, **arrays):
    f.write(b"PK\x03\x04 partial archive")
    raise OSError("disk full")


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    net = sm.Network()
    net.population("p", 2)
    monkeypatch.setattr(model_archive.np, "savez_compressed", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        net.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    old = sm.Network()
    old.population("old", 2)
    old.save(tmp_path / "model.npz")
    new = sm.Network()
    new.population("new", 2)
    monkeypatch.setattr(model_archive.np, "savez_compressed", failing_savez)
    with pytest.raises(OSError):
        new.save(tmp_path / "model.npz")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    assert list(sm.load(tmp_path / "model.npz").populations) == ["old"]


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def interrupted(f, **arrays):
        f.write(b"PK")
        raise KeyboardInterrupt

    net = sm.Network()
    net.population("p", 2)
    monkeypatch.setattr(model_archive.np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        net.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


# ---- foreign and broken files ------------------------------------------------------------------
def saved_arrays(tmp_path):
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2)
    net.connect("in", "p", np.ones((2, 2)))
    net.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def with_header(tmp_path, header, name="edited.npz", **extra):
    arrays = saved_arrays(tmp_path)
    arrays["header"] = np.frombuffer(header if isinstance(header, bytes) else
                                     json.dumps(header).encode(), dtype=np.uint8)
    arrays.update(extra)
    np.savez(tmp_path / name, **arrays)
    return tmp_path / name


def good_header(tmp_path):
    return json.loads(saved_arrays(tmp_path)["header"].tobytes().decode())


def test_missing_file(tmp_path):
    with pytest.raises(sm.ModelFileError, match=r"'.*nothere.npz' does not exist"):
        sm.load(tmp_path / "nothere.npz")


def test_foreign_npz(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    with pytest.raises(sm.ModelFileError, match=r"not a spikemem model.*Network.save"):
        sm.load(tmp_path / "other.npz")


@pytest.mark.parametrize("content", [b"hello, not a model\n", b"PK\x03\x04 truncated zip",
                                     b"\x89PNG\r\n\x1a\n" + bytes(64)])
def test_non_zip_file(tmp_path, content):
    (tmp_path / "m.npz").write_bytes(content)
    with pytest.raises(sm.ModelFileError, match=r"'.*m.npz' is not a spikemem model file"):
        sm.load(tmp_path / "m.npz")


def test_unknown_version(tmp_path):
    header = good_header(tmp_path)
    header["version"] = 99
    path = with_header(tmp_path, header)
    from spikemem.model.archive import READABLE
    readable = re.escape(str(list(READABLE)))
    with pytest.raises(sm.ModelFileError, match=rf"version 99.*reads versions {readable}.*upgrade"):
        sm.load(path)


def test_format_version_2_only_for_tied_weights():
    """Files without tied projections keep version 1 (readable by earlier spikemem); a tied
    projection makes it version 2, which an earlier spikemem refuses with 'upgrade'."""
    net = sm.Network()
    net.source("in", 4)
    net.population("p", 4)
    net.connect("in", "p", np.eye(4))
    assert net.to_arrays()[0]["version"] == 1
    net.population("q", 3)
    net.connect("in", "q", sm.TokenLinear(1, np.ones((4, 3))))
    assert net.to_arrays()[0]["version"] == 2


def test_other_format(tmp_path):
    header = good_header(tmp_path)
    header["format"] = "someone-else"
    with pytest.raises(sm.ModelFileError, match=r"not a spikemem model.*'someone-else'"):
        sm.load(with_header(tmp_path, header))
    with pytest.raises(sm.ModelFileError, match=r"not a spikemem model"):
        sm.load(with_header(tmp_path, [1, 2, 3]))


def test_corrupt_header(tmp_path):
    with pytest.raises(sm.ModelFileError, match=r"header is corrupt"):
        sm.load(with_header(tmp_path, b"\xff\xfe{not json"))


def test_incomplete_file(tmp_path):
    header = good_header(tmp_path)
    del header["projections"][0]["receptor"]
    with pytest.raises(sm.ModelFileError, match=r"incomplete"):
        sm.load(with_header(tmp_path, header))
    arrays = saved_arrays(tmp_path)
    del arrays["proj0_dense"]
    np.savez(tmp_path / "noweights.npz", **arrays)
    with pytest.raises(sm.ModelFileError, match=r"incomplete"):
        sm.load(tmp_path / "noweights.npz")


def test_invalid_content_is_a_model_error(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["proj0_dense"] = np.full((2, 2), np.nan)
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(sm.ModelError, match=r"projection 'in->p'.*NaN"):
        sm.load(tmp_path / "nan.npz")


# ---- no pickle -------------------------------------------------------------------------------
class _Trap:
    """Unpickling this object creates a marker file: the test fails if that ever happens."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("key", ["header", "proj0_dense", "extra"])
def test_pickled_object_arrays_never_load(tmp_path, key):
    """An object array is refused where the network needs it, and an extra member the
    network does not use is never read at all."""
    marker = tmp_path / "unpickled"
    arrays = saved_arrays(tmp_path)
    arrays[key] = np.array([_Trap(marker), 1], dtype=object)
    np.savez(tmp_path / "evil.npz", **arrays)
    if key == "extra":
        assert list(sm.load(tmp_path / "evil.npz").populations) == ["p"]
    else:
        with pytest.raises(sm.ModelFileError, match=rf"array '{key}' holds Python objects"):
            sm.load(tmp_path / "evil.npz")
    assert not marker.exists()


def test_load_reads_arrays_without_pickle(tmp_path, monkeypatch):
    saved_arrays(tmp_path)
    calls = []
    real = np.lib.format.read_array

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(model_archive.np.lib.format, "read_array", spy)
    sm.load(tmp_path / "good.npz")
    assert calls and all(c.get("allow_pickle") is False for c in calls)


def test_load_npy_file_raises_model_file_error(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(3))
    with pytest.raises(sm.ModelFileError, match="not a spikemem model"):
        sm.load(tmp_path / "x.npy")


def test_load_empty_file_raises_model_file_error(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(sm.ModelFileError, match="not a spikemem model"):
        sm.load(tmp_path / "empty.npz")


def test_load_directory_says_it_is_a_directory(tmp_path):
    with pytest.raises(sm.ModelFileError, match="is a directory"):
        sm.load(tmp_path)


def test_saved_file_mode_follows_the_umask(tmp_path):
    net = sm.Network()
    net.population("p", 1)
    old = os.umask(0o022)
    try:
        net.save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644


def test_auto_named_duplicate_projections_round_trip(tmp_path):
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2)
    net.connect("in", "p", np.eye(2))
    net.connect("in", "p", np.ones((2, 2)), delay=3)
    assert list(net.projections) == ["in->p", "in->p#2"]
    net.save(tmp_path / "m.npz")
    back = sm.load(tmp_path / "m.npz")
    assert list(back.projections) == ["in->p", "in->p#2"]
    assert back.projections["in->p#2"].delay == 3
