"""Regenerate norse_references.npz: the NIR paper's graphs run in Norse 1.1 on seeded inputs.

The paper's own test inputs (the Braille `ds_test.pt`, N-MNIST frames) are not in its
repository snapshot, so the inputs are generated here (seeded Bernoulli spikes) and Norse,
the reader the paper ran these graphs with, gives the reference spikes. Run from the
repository root with Norse installed:

    .venv/bin/python tests/interop/data/make_norse_references.py

Arrays (bool; steps first):
    braille_<graph>_input (256, 12), braille_<graph>_hidden (256, n) (node "lif1.lif"),
    braille_<graph>_output (256, 7), for graph in subtract, zero;
    cnn_input (20, 2, 34, 34), cnn_layer<k> (20, n_k) for the IF nodes k = 1, 3, 6, 10, 12.
"""
import gzip
import io
import logging
from pathlib import Path

import nir
import numpy as np
import torch
from norse.torch import from_nir
from norse.torch.functional.reset import reset_subtract, reset_value

from spikemem.files import write_atomic

HERE = Path(__file__).parent
#: graph file -> (key, Norse reset method) as the paper's norse_apply.ipynb reads them
BRAILLE = {"braille_noDelay_noBias_subtract.nir": ("subtract", reset_subtract),
           "braille_noDelay_bias_zero.nir": ("zero", reset_value)}
CNN_LAYERS = ("1", "3", "6", "10", "12")


def run(module, x, cached):
    """Step Norse's module over x (steps, ...); {node: bool (steps, n)} of the cached nodes
    and the returned output."""
    state, out = None, {k: [] for k in (*cached, "output")}
    with torch.no_grad():
        for t in range(len(x)):
            o, state = module(torch.tensor(x[t:t + 1], dtype=torch.float32), state)
            out["output"].append(o.numpy().ravel() > 0)
            for k in cached:  # batch 1; nodes after Norse's Flatten lose the batch axis
                out[k].append(state.cache[k].numpy().ravel() > 0)
    return {k: np.array(v) for k, v in out.items()}


def main():
    logging.disable(logging.WARNING)  # Norse warns that IF's r is not read
    rng = np.random.default_rng(2024)
    arrays = {}
    for name, (key, reset) in BRAILLE.items():
        x = rng.random((256, 12)) < 0.1
        got = run(from_nir(nir.read(HERE / name), dt=1e-4, reset_method=reset), x,
                  ["lif1_lif"])
        arrays.update({f"braille_{key}_input": x, f"braille_{key}_hidden": got["lif1_lif"],
                       f"braille_{key}_output": got["output"]})
    graph = nir.read(io.BytesIO(gzip.decompress((HERE / "cnn_sinabs.nir.gz").read_bytes())))
    x = rng.random((20, 2, 34, 34)) < 0.15
    got = run(from_nir(graph, dt=1e-3), x, CNN_LAYERS)  # Norse's default dt, 1 ms frames
    arrays["cnn_input"] = x
    arrays.update({f"cnn_layer{k}": got[k] for k in CNN_LAYERS})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(HERE / "norse_references.npz", buffer.getvalue())


if __name__ == "__main__":
    main()
