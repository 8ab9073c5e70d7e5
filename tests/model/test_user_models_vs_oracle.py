"""The neurons and inputs users bring (per-neuron parameters, graded and current sources,
LI readouts, CondLIF) on the numpy target against tests/oracle.py, the literal
implementation of docs/semantics.md, on their conformance catalogue networks."""
import pytest

import spikemem as sm
from conformance.catalogue import CATALOGUE
from spikemem.networks import coba

CASES = ["per_neuron_params", "graded_events", "li_readout", "current_drive"]


@pytest.mark.parametrize("name", CASES)
def test_numpy_equals_the_oracle(name, oracle_check):
    case = CATALOGUE[name]
    net = case.build()
    for probe in list(net.probes):  # the oracle records v and the spikes of every population
        if probe.target in net.populations:
            net.record(probe.target, "v")
    steps = case.runs[0]
    inputs = case.inputs(net, 0)
    res = sm.compile(net, "numpy").run(steps, inputs, batch=case.batch)
    oracle_check(net, res, steps, inputs, batch=case.batch)


def test_coba_equals_the_oracle(oracle_check):
    """The COBA network at 80 neurons (the oracle loops over every synapse in Python)."""
    net = coba(80, p=0.25)
    net.record("exc", "v")
    net.record("inh", "v")
    res = sm.compile(net, "numpy").run(300)
    assert res.spikes["exc"].any()
    oracle_check(net, res, 300, {})
