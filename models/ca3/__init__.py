"""The spiking CA3 content-addressable memory (Casanueva-Morato et al., Neural Networks 2024).

    from spikemem.models import ca3
    cam = ca3.ContentAddressableMemory(n_cues=5, n_bits=10)
    results = cam.run([ca3.Learn(cue=0, content=[0, 1, 8, 9]), ca3.RecallCue(0),
                       ca3.RecallContent([8])], target="numpy")
    results[1].content  # [0, 1, 8, 9]

The circuit and its translation from the paper's PyNN units: circuit; op timing and
decoding: memory; the paper's op sequences: workloads; experiments (`spikemem experiment
ca3-...`): experiments; the authors' SpiNNaker rasters and configuration (shipped in data/):
reference.
"""
from .circuit import cam_stdp, network, translation_table
from .experiments import EXPERIMENTS
from .memory import (LATENCY, CamRun, ContentAddressableMemory, IdealMemory, Learn,
                     OpResult, RecallContent, RecallCue)

__all__ = ["ContentAddressableMemory", "Learn", "RecallCue", "RecallContent", "OpResult",
           "CamRun", "IdealMemory", "LATENCY", "network", "cam_stdp", "translation_table",
           "EXPERIMENTS"]
