"""The CA3 content-addressable memory (spikemem.models.ca3): API, translation, the paper's
three experiments against the ideal memory and the authors' SpiNNaker rasters, and every
target (run, or refuse at compile time with UnsupportedFeatureError)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

import spikemem as sm
from spikemem.models import ca3
from spikemem.models import ca3_experiments, ca3_reference, ca3_workloads
from spikemem.targets import missing_features, spec

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "ca3"
PAPER = sorted(ca3_workloads.PAPER)


@pytest.fixture(scope="module")
def traces():
    if not (REFERENCE / ca3_reference.TRACE_FILE).is_file():
        raise FileNotFoundError(
            f"CA3 reference data missing: expected {REFERENCE / ca3_reference.TRACE_FILE} "
            "(the shared/ folder must lie beside the repository clone)")
    return ca3_reference.load_traces(REFERENCE)


@pytest.fixture(scope="module")
def numpy_runs():
    """workload name -> (memory, run) on numpy, recording every population."""
    out = {}
    for name in PAPER:
        w = ca3_workloads.PAPER[name]()
        cam = ca3.ContentAddressableMemory(**w.memory, record_all=True)
        out[name] = (cam, cam.simulate(w.ops, "numpy"))
    return out


def ideal_pairs(ops):
    ideal = ca3.IdealMemory()
    return [ideal.apply(op) for op in ops]


# ---- API ---------------------------------------------------------------------------------
def test_issue_example_api():
    cam = ca3.ContentAddressableMemory(n_cues=5, n_bits=10)
    ops = [ca3.Learn(cue=0, content=[0, 1, 8, 9]), ca3.RecallCue(0), ca3.RecallContent([6]),
           ca3.RecallContent([8])]
    results = cam.run(ops, target="numpy")
    assert isinstance(cam.network, sm.Network)
    assert [(r.cues, r.content) for r in results] == [
        ([0], [0, 1, 8, 9]), ([0], [0, 1, 8, 9]), ([], [6]), ([0], [8])]
    assert [r.t_start for r in results] == [0, 14, 28, 42]


def test_network_shape_matches_paper():
    net = ca3.network(7, 11)
    sizes = {name: p.n for name, p in net.populations.items()}
    memory = sum(n for name, n in sizes.items() if name != "out")
    assert memory == 3 * 7 + 4 * 11 + 1
    assert sizes["out"] == net.sources["in"].n == 18
    plastic = {name: p for name, p in net.projections.items() if p.plasticity is not None}
    assert sorted(plastic) == ["cont_to_cue", "cue_to_cont"]
    for p in plastic.values():
        assert p.shape == (net.size(p.pre), net.size(p.post)) and not p.is_sparse
        assert p.uniform_delay == 1 and not p.weights.any()
    delays = sorted({p.uniform_delay for p in net.projections.values()})
    assert delays == [1, 2, 3]


def test_translation_keeps_the_circuits_thresholds():
    """The behaviours the paper's weights were chosen for survive the unit translation."""
    k = {row["population"]: row["mV_per_nA"] for row in ca3.translation_table()}
    slow, fast = k["CA3cueCueRecall"], k["CA3contCond"]
    # exact integration over 1 ms: membrane (1 - e^-dt/tau_m) R, current tau_s (1 - e^-dt/tau_s)
    expected = (1 - math.exp(-1 / 3)) * (3 / 0.27) * 0.3 * (1 - math.exp(-1 / 0.3))
    assert slow == pytest.approx(expected)
    assert 6 * slow > 3 and 6 * fast > 3          # one 6 nA spike fires any memory neuron
    assert 9 * fast > 3 > (9 - 6) * fast          # contCond: content fires it, a cue vetoes it
    assert 2 * fast < 3                           # contCondInt alone stays sub-threshold
    assert 6 * k["OUT"] > 2.5
    row = next(r for r in ca3.translation_table() if r["population"] == "CA3contCond")
    assert row["v_th_mV"] == 3.0 and row["refractory_steps"] == 1
    assert row["beta"] == pytest.approx(math.exp(-2)) and row["alpha"] == pytest.approx(
        math.exp(-1 / 0.3))


def test_plain_pair_stdp_learns_nothing_here():
    """Why cam_stdp: the paper's SpikePairRule taken literally (A+ = A- = w_max, tau 3 ms)
    cannot store a memory under spikemem's synchronous pairing."""
    cam = ca3.ContentAddressableMemory(5, 10)
    for name in ("cue_to_cont", "cont_to_cue"):
        proj = cam.network.projections[name]
        a = proj.plasticity.w_max
        proj.plasticity = sm.pair_stdp(3.0, 3.0, a, a, 0.0, a)
    results = cam.run([ca3.Learn(0, [1, 2]), ca3.RecallCue(0), ca3.RecallContent([1])])
    assert results[1].content == [] and results[2].cues == []


def test_overwrite_forgets_old_content_both_ways():
    cam = ca3.ContentAddressableMemory(4, 8)
    ops = [ca3.Learn(1, [0, 1, 2]), ca3.Learn(2, [2, 5]), ca3.Learn(1, [3]), ca3.RecallCue(1),
           ca3.RecallContent([0]), ca3.RecallContent([2]), ca3.RecallContent([3, 5]),
           ca3.Learn(2, []), ca3.RecallCue(2), ca3.RecallContent([5])]
    got = [(r.cues, r.content) for r in cam.run(ops)]
    assert got == ideal_pairs(ops)
    assert got[3] == ([1], [3]) and got[4] == ([], [0]) and got[8] == ([2], [])


def test_bad_ops_and_timing_raise_model_error():
    cam = ca3.ContentAddressableMemory(3, 4)
    for op, text in [(ca3.Learn(3, [0]), "cue 3"), (ca3.Learn(0, [4]), "outside 0..3"),
                     (ca3.Learn(0, [1.5]), "int bit"), (ca3.RecallCue(-1), "cue -1"),
                     (ca3.RecallContent([]), "at least one"), ("store", "unknown CA3 op")]:
        with pytest.raises(sm.ModelError, match=text):
            cam.run([op])
    with pytest.raises(sm.ModelError, match="at least one op"):
        cam.run([])
    with pytest.raises(sm.ModelError, match="learn_steps"):
        ca3.ContentAddressableMemory(3, 4, learn_steps=6)
    with pytest.raises(sm.ModelError, match="recall_steps"):
        ca3.ContentAddressableMemory(3, 4, recall_steps=5)
    with pytest.raises(sm.ModelError, match="n_bits"):
        ca3.ContentAddressableMemory(3, 0)
    with pytest.raises(sm.ModelError, match="inputs must be bool"):
        cam.simulate([ca3.RecallCue(0)], inputs=np.zeros((3, 7), bool))


def test_encode_follows_op_timing():
    cam = ca3.ContentAddressableMemory(3, 4, learn_steps=7, recall_steps=6, start_step=2)
    ops = [ca3.Learn(1, [0, 3]), ca3.RecallCue(1), ca3.RecallContent([3])]
    x = cam.encode(ops)
    assert x.shape == (2 + 7 + 6 + 6 + ca3.LATENCY, 7)
    assert np.array_equal(np.argwhere(x), [[2, 1], [2, 3], [2, 6], [3, 1], [3, 3], [3, 6],
                                           [4, 1], [4, 3], [4, 6], [9, 1], [15, 6]])


# ---- the paper's experiments -------------------------------------------------------------
@pytest.mark.parametrize("name", PAPER)
def test_paper_experiment_equals_ideal_memory_on_numpy(numpy_runs, name):
    cam, run = numpy_runs[name]
    got = [(r.cues, r.content) for r in run.results]
    assert got == ideal_pairs([r.op for r in run.results])
    assert any(r.op.kind == "recall_content" for r in run.results)


def test_reference_has_the_paper_experiments(traces):
    names = {w().reference for w in ca3_workloads.PAPER.values()}
    assert {"2_tb2_piramidal_sequence_cont", "3_state_map_app"} <= set(traces)
    assert set(traces) <= names


@pytest.mark.parametrize("name", PAPER)
def test_matches_spinnaker_reference(traces, numpy_runs, name):
    """Same input raster step for step, same output in every op window, and the output raster
    differs only by the documented one-step old-content echo of an overwrite."""
    workload = ca3_workloads.PAPER[name]()
    if workload.reference not in traces:
        assert name == "ca3-functional"  # the only block the shared data may lack
        return
    cam, run = numpy_runs[name]
    cmp = ca3_experiments.compare_reference(cam, run, workload, REFERENCE)
    assert cmp["inputs_equal"]
    assert cmp["op_results_equal"] == cmp["ops"] == len(workload.ops)
    assert cmp["reference_recalls_equal_ideal"] == sum(op.kind != "learn" for op in workload.ops)
    assert cmp["unexplained_steps"] == []
    stored, overwrites = {}, 0
    for op in workload.ops:
        if op.kind == "learn":
            overwrites += not set(stored.get(op.cue, ())) <= set(op.content)
            stored[op.cue] = op.content
    assert len(cmp["echo_steps"]) == overwrites == {"ca3-stress": 10, "ca3-map": 0,
                                                    "ca3-functional": 1}[name]


def test_reference_loader_rejects_bad_lines(tmp_path):
    with pytest.raises(sm.ModelError, match="not found"):
        ca3_reference.load_traces(tmp_path)
    (tmp_path / ca3_reference.TRACE_FILE).write_text("5 IN [0] - OUT - -\n")
    with pytest.raises(sm.ModelError, match="before any experiment"):
        ca3_reference.load_traces(tmp_path)
    (tmp_path / ca3_reference.TRACE_FILE).write_text("2_x (h)\n5 IN [0] - OUT maybe\n")
    with pytest.raises(sm.ModelError, match="cannot read line"):
        ca3_reference.load_traces(tmp_path)


# ---- every target ------------------------------------------------------------------------
@pytest.mark.parametrize("target", [t for t in sm.targets() if t != "numpy"])
def test_target_refuses_or_is_covered(target):
    """A target that cannot express the memory says so at compile time; the others run the
    paper's experiments in test_paper_experiments_on_target (slow)."""
    net = ca3.network(5, 10)
    if missing_features(net, target):
        with pytest.raises(sm.UnsupportedFeatureError):
            ca3.ContentAddressableMemory(5, 10).run([ca3.RecallCue(0)], target=target)
    else:
        assert target in {param.values[0] for param in _target_variants()}


def _target_variants():
    """(target, variant label, options, exact, workloads): a target's first variant runs the
    paper's three experiments, its other variants the stress test (60 ops, 10 overwrites)."""
    out = []
    for t in sm.targets():
        if t == "numpy" or missing_features(ca3.network(5, 10), t):
            continue
        for k, v in enumerate(spec(t).variants):
            names = PAPER if k == 0 else ["ca3-stress"]
            out.append(pytest.param(t, v.label, v.options, v.tolerance is None, names,
                                    id=f"{t}-{v.label}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("target,label,options,exact,names", _target_variants())
def test_paper_experiments_on_target(numpy_runs, target, label, options, exact, names):
    """Every recall equals the ideal memory; exact variants give numpy's rasters."""
    for name in names:
        w = ca3_workloads.PAPER[name]()
        cam = ca3.ContentAddressableMemory(**w.memory, record_all=True)
        run = cam.simulate(w.ops, target, **options)
        assert [(r.cues, r.content) for r in run.results] == ideal_pairs(w.ops), name
        if exact:
            ref = numpy_runs[name][1].result
            for pop, spikes in ref.spikes.items():
                np.testing.assert_array_equal(run.result.spikes[pop], spikes,
                                              err_msg=f"{name} {pop}")


# ---- experiments and CLI -----------------------------------------------------------------
def test_experiment_registry_and_cli(tmp_path, capsys):
    from spikemem.cli.app import run

    assert set(ca3.EXPERIMENTS) == {"ca3-functional", "ca3-stress", "ca3-map", "ca3-scale",
                                    "ca3-noise"}
    assert run(["experiment", "ca3-map", "--target", "numpy", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "ca3-map_numpy.json").read_text())
    assert data["all_recalls_equal_ideal"] and data["recalls"] == 4
    assert [r["cues"] for r in data["results"][16:]] == [[2, 6, 10, 12, 13, 14],
                                                         [3, 5, 11, 15], [1, 7, 9], [0, 4, 8]]
    assert (tmp_path / "ca3-map_numpy.png").stat().st_size > 1000
    assert '"experiment": "ca3-map"' in capsys.readouterr().out


def test_noise_experiment_quick(tmp_path):
    s = ca3.EXPERIMENTS["ca3-noise"](tmp_path, "numpy", True)
    curves = s["targets"]["numpy"]
    assert s["rates"][0] == 0 and curves["spurious"][0] == curves["missing"][0] == 1.0
    assert curves["spurious_bits"][0] == 1.0
    assert min(curves["spurious"] + curves["missing"]) < 1.0
    assert all(b >= e for b, e in zip(curves["missing_bits"], curves["missing"]))
    assert json.loads(Path(s["json"]).read_text())["targets"] == s["targets"]
    assert Path(s["png"]).is_file()


def test_add_noise_touches_only_op_windows():
    x = np.zeros((10, 4), bool)
    x[2, 1] = x[6, 0] = True
    windows = [slice(2, 3), slice(6, 7)]
    rng = np.random.default_rng(0)
    on = ca3_experiments.add_noise(x, windows, "spurious", 1.0, rng)
    assert on[2].all() and on[6].all() and on.sum() == 8
    off = ca3_experiments.add_noise(x, windows, "missing", 1.0, rng)
    assert not off.any()
    assert np.array_equal(ca3_experiments.add_noise(x, windows, "missing", 0.0, rng), x)


def test_random_workloads_are_seeded_and_overlapping():
    a = ca3_workloads.random_ops(10, 30, 60, (0.3, 0.5), seed=3, overlap=True)
    assert a == ca3_workloads.random_ops(10, 30, 60, (0.3, 0.5), seed=3, overlap=True)
    learns = [set(op.content) for op in a if op.kind == "learn"]
    shared = np.mean([len(p & q) / len(p | q) for p in learns for q in learns if p is not q])
    assert shared > 0.3 and len(a) == 60


def test_scale_quick_on_numpy(tmp_path):
    s = ca3.EXPERIMENTS["ca3-scale"](tmp_path, "numpy", True)
    for label in ("sparse", "overlap"):
        assert s[label]["accuracy"] == 1.0 and s[label]["ops_per_s"] > 0


@pytest.mark.slow
def test_scale_100x100_1000_ops_on_numpy(tmp_path):
    s = ca3.EXPERIMENTS["ca3-scale"](tmp_path, "numpy", False)
    assert s["n_cues"] == s["n_bits"] == 100 and s["ops"] == 1000
    for label in ("sparse", "overlap"):
        print(f"ca3-scale {label}: {s[label]['ops_per_s']} ops/s on numpy")
        assert s[label]["accuracy"] == 1.0, s[label]
    assert s["overlap"]["mean_content_bits"] > 30
