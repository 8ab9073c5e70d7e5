"""Fixtures of the CA3 tests: the packaged SpiNNaker reference traces, the paper's three
experiments run once on numpy, and the ideal memory's answers."""
import pytest

from spikemem.models import ca3
from spikemem.models.ca3 import reference, workloads


@pytest.fixture(scope="session")
def traces():
    """The authors' SpiNNaker rasters, as shipped in spikemem.models.ca3 (data/)."""
    return reference.load_traces()


@pytest.fixture(scope="session")
def numpy_runs():
    """workload name -> (memory, run) on numpy, recording every population."""
    out = {}
    for name in sorted(workloads.PAPER):
        w = workloads.PAPER[name]()
        cam = ca3.ContentAddressableMemory(**w.memory, record_all=True)
        out[name] = (cam, cam.simulate(w.ops, "numpy"))
    return out


@pytest.fixture(scope="session")
def ideal_pairs():
    """ideal_pairs(ops) -> [(cues, content)] the ideal memory answers, one per op."""
    def pairs(ops):
        ideal = ca3.IdealMemory()
        return [ideal.apply(op) for op in ops]
    return pairs
