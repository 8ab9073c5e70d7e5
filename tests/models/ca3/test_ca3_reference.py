"""The paper's three experiments against the ideal memory and the authors' SpiNNaker rasters
(cam_traces.txt, shipped in spikemem.models.ca3's data/), and the authors' configuration
(cam_config.json) against the circuit's parameters."""
import pytest

import spikemem as sm
from spikemem.models.ca3 import circuit, experiments, reference, workloads

PAPER = sorted(workloads.PAPER)


@pytest.mark.parametrize("name", PAPER)
def test_paper_experiment_equals_ideal_memory_on_numpy(numpy_runs, ideal_pairs, name):
    cam, run = numpy_runs[name]
    got = [(r.cues, r.content) for r in run.results]
    assert got == ideal_pairs([r.op for r in run.results])
    assert any(r.op.kind == "recall_content" for r in run.results)


def test_reference_data_is_packaged():
    for name in (reference.TRACE_FILE, reference.CONFIG_FILE, "README.md"):
        assert reference.data_file(name).is_file(), name


def test_reference_has_the_paper_experiments(traces):
    assert set(traces) == {w().reference for w in workloads.PAPER.values()} == {
        "1_learn_recall_by_cue_and_cont_forget", "2_tb2_piramidal_sequence_cont",
        "3_state_map_app"}
    assert all(traces.values())


@pytest.mark.parametrize("name", PAPER)
def test_matches_spinnaker_reference(traces, numpy_runs, name):
    """Same input raster step for step, same output in every op window (recalls included:
    the reference's recalls equal the ideal memory's and ours), and the output raster
    differs only by the documented one-step old-content echo of an overwrite."""
    workload = workloads.PAPER[name]()
    cam, run = numpy_runs[name]
    cmp = experiments.compare_reference(cam, run, workload, traces)
    assert cmp["name"] == workload.reference
    assert cmp["inputs_equal"]
    assert cmp["op_results_equal"] == cmp["ops"] == len(workload.ops)
    assert cmp["reference_recalls_equal_ideal"] == sum(op.kind != "learn" for op in workload.ops)
    assert cmp["unexplained_steps"] == []
    assert cmp["matches"]
    stored, overwrites = {}, 0
    for op in workload.ops:
        if op.kind == "learn":
            overwrites += not set(stored.get(op.cue, ())) <= set(op.content)
            stored[op.cue] = op.content
    assert len(cmp["echo_steps"]) == overwrites == {"ca3-stress": 10, "ca3-map": 0,
                                                    "ca3-functional": 1}[name]


def test_compare_reference_needs_the_block(numpy_runs):
    cam, run = numpy_runs["ca3-map"]
    with pytest.raises(sm.ModelError, match="no block '3_state_map_app'"):
        experiments.compare_reference(cam, run, workloads.state_map(), {"2_x": []})


def test_reference_loader_rejects_bad_lines(tmp_path):
    with pytest.raises(sm.ModelError, match="not found"):
        reference.load_traces(tmp_path)
    (tmp_path / reference.TRACE_FILE).write_text("5 IN [0] - OUT - -\n")
    with pytest.raises(sm.ModelError, match="before any experiment"):
        reference.load_traces(tmp_path)
    (tmp_path / reference.TRACE_FILE).write_text("2_x (h)\n5 IN [0] - OUT maybe\n")
    with pytest.raises(sm.ModelError, match="cannot read line"):
        reference.load_traces(tmp_path)


def test_circuit_parameters_are_the_published_configuration():
    """PAPER_NEURONS and PAPER_STDP hold the values of the authors' cam_config.json."""
    config = reference.load_config()
    neurons = config["neuronParameters"]
    assert {name[:-1] for name in neurons} == set(circuit.PAPER_NEURONS) - {"OUT"}
    for name, p in neurons.items():
        ours = circuit.PAPER_NEURONS[name[:-1]]
        assert p["tau_syn_E"] == p["tau_syn_I"] == ours["tau_syn"], name
        for key in ("cm", "tau_m", "tau_refrac", "v_rest", "v_reset", "v_thresh"):
            assert p[key] == ours[key], (name, key)
    for name, v in config["initNeuronParameters"].items():
        assert v["vInit"] == circuit.PAPER_NEURONS[name[:-1]]["v_rest"], name
    stdp = [s for s in config["synParameters"].values() if s["receptor_type"] == "STDP"]
    assert len(stdp) == len(circuit.PLASTIC) == 2
    for s in stdp:
        assert (s["tau_plus"], s["tau_minus"], s["A_plus"], s["A_minus"], s["w_max"],
                s["w_min"], s["delay"], s["initWeight"]) == (
            circuit.PAPER_STDP["tau_plus"], circuit.PAPER_STDP["tau_minus"],
            circuit.PAPER_STDP["A"], circuit.PAPER_STDP["A"], circuit.PAPER_STDP["w_max"],
            circuit.PAPER_STDP["w_min"], circuit.PAPER_STDP["delay"], 0.0)
