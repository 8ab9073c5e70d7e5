"""Networks and conversions several test modules share (import: `from builders import ...`;
tests/ is on sys.path through tests/conftest.py)."""
import numpy as np
import scipy.sparse as sp

import spikemem as sm


def rich_network(dt=1.0):
    """Every feature NIR can express: CubaLIF, LIF, IF, IF with a synapse, two receptors,
    bias, v_reset, recurrence, sparse weights, uniform and per-synapse delays."""
    rng = np.random.default_rng(3)
    net = sm.Network(dt=dt)
    net.source("in", 6)
    net.population("a", 5, sm.LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0),
                   bias=rng.uniform(0, 0.02, 5))
    net.population("b", 4, sm.LIF(tau_mem=10.0, tau_syn={"exc": 3.0, "inh": 0.0}, v_th=0.8,
                                  v_reset=-0.1))
    net.population("c", 3, sm.IF(tau_syn=0.0, v_th=1.5))
    net.population("d", 3, sm.IF(tau_syn=4.0, v_th=1.0))
    net.population("e", 2, sm.LIF(tau_mem=8.0, tau_syn=0.0, v_th=0.5), bias=0.01)
    net.connect("in", "a", rng.uniform(0, 0.6, (6, 5)))
    net.connect("a", "a", rng.normal(0, 0.2, (5, 5)))
    net.connect("a", "b", rng.uniform(0, 0.8, (5, 4)), receptor="exc", delay=3)
    net.connect("in", "b", sp.random(6, 4, density=0.5, random_state=1, format="csr"),
                receptor="inh", delay=rng.integers(1, 4, (6, 4)))
    net.connect("b", "c", rng.uniform(0.1, 1, (4, 3)), delay=rng.integers(1, 3, (4, 3)))
    net.connect("in", "d", rng.uniform(0, 0.5, (6, 3)))
    net.connect("d", "e", rng.uniform(0, 1, (3, 2)), name="d_to_e")
    net.connect("in", "a", rng.uniform(0, 0.2, (6, 5)), name="in_a_2")  # a second in->a
    for p in "abcde":
        net.record(p, "spikes")
    net.record("in", "counts")
    return net


def untied(net):
    """The same network with every tied projection replaced by its expanded CSR weights."""
    header, arrays = net.to_arrays()
    for k, p in enumerate(header["projections"]):
        if p.pop("tied", None) is not None:
            w = net.projections[p["name"]].weights
            del arrays[f"proj{k}_params"]
            arrays.update({f"proj{k}_data": w.data, f"proj{k}_indices": w.indices,
                           f"proj{k}_indptr": w.indptr})
    return sm.Network.from_arrays(header, arrays)


def run_nirtorch(module, x):
    """Step a module that snnTorch or Norse built from a NIR graph (through nirtorch) over
    spikes x (steps, ...), batch 1; its returned spikes (steps, n_out), flattened."""
    import torch

    state, out = None, []
    with torch.no_grad():
        for t in range(len(x)):
            inp = torch.tensor(x[t:t + 1], dtype=torch.float32)
            o, state = module(inp) if state is None else module(inp, state)
            out.append(o.numpy().ravel() > 0)
    return np.array(out)
