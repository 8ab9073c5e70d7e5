"""Where the fixed-point chips lose accuracy: the network with each weight replaced by what
one spike delivers on the chip (its rounded weight), run on the exact numpy target. Its
score against float numpy is the cost of weight rounding; the rest of the emulator's gap is
the cost of the integer neuron state (decays, membrane rounding, Loihi's floored sums and
saturation).

The delivered values follow spikemem.hal.quantize: Loihi `mantissa * 2**weight_exp *
2**activation_shift / scale` (scale of the post population), SpiNNaker `±magnitude *
2**(shift - fraction_bits)`.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import spikemem as sm


def delivered(net: sm.Network, chip: str) -> sm.Network:
    """A copy of `net` whose weights are those `chip` ('loihi2', 'spinnaker2', ...)
    delivers per spike; tied projections stay tied (equal parameters round alike)."""
    mapping = sm.map(net, chip=chip)
    plan, c = mapping.plan, mapping.chip
    copy = net.snapshot()
    for name, proj in net.projections.items():
        q = plan.weights[name]
        if c.family == "loihi":
            shift = c.arith("activation_shift")
            scale = plan.neurons[proj.post].scale
            values = q.weights * 2.0 ** (q.weight_exp + shift) / scale
        else:
            values = np.where(q.negative, -q.magnitude, q.magnitude) * \
                2.0 ** (q.shift - c.arith("fraction_bits"))
        pre, post, _, _ = proj.synapses()
        copy.set_weights(name, sp.csr_array((values, (pre, post)), shape=proj.shape)
                         if proj.is_sparse or proj.tied is not None
                         else values.reshape(proj.shape))
    return copy
