"""Attention blocks, one writer per kind (ATTENTION): each adds its populations to a
_Writer and returns the population whose spikes are the block's output (N tokens x D).

- sdsa: Spike-driven self-attention (Yao et al., NeurIPS 2023): Q, K, V are spiking
  populations; `Q AND K` is a memoryless coincidence population (tau_mem = 0, threshold
  between one and two inputs), its column sum over tokens drives D mask neurons (a spike when
  the count exceeds mask_threshold), and the mask gates V by a second AND. Only masks and
  additions; neurons and synapses linear in the number of tokens.
- ssa: Spikformer's spiking self-attention (Zhou et al., ICLR 2023), `(Q Kᵀ V) * s` through
  a spiking neuron of threshold 0.5: per step Q, K, V are 0/1, so every product is a
  coincidence of three spikes (wiring.ssa_triples) and no target needs a product of counts;
  it costs heads * N² * dh² coincidence neurons (dh = D / heads).
- none: the ablation without attention: V alone (a per-token spiking layer), so no
  information moves between tokens before the readout.
"""
from __future__ import annotations

import spikemem as sm

from . import wiring

#: Q AND K, mask AND V: v = (sum of two 0/1 inputs of weight 1); spike iff both
AND = sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=1.5)
#: Q AND K AND V for SSA: spike iff all three
AND3 = sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=2.5)
#: Spikformer's attention neuron threshold (attn_lif, v_threshold = 0.5)
SSA_THRESHOLD = 0.5


def _qkv(w, x: str, prefix: str, cfg, rng, names: str) -> list[str]:
    """The learned per-token maps x -> Q, K, V (those in `names`), one population each."""
    n, d = cfg.n_tokens, cfg.channels
    return [w.population(f"{prefix}.{name}", n * d, w.stream,
                         [(x, wiring.linear(n, d, d, rng, w.gain), True)]) for name in names]


def sdsa(w, x: str, prefix: str, cfg, rng) -> str:
    n, d = cfg.n_tokens, cfg.channels
    q, k, v = _qkv(w, x, prefix, cfg, rng, "qkv")
    same = wiring.identity(n, d)
    qk = w.population(f"{prefix}.qk", n * d, AND, [(q, same, False), (k, same, False)])
    mask = w.population(f"{prefix}.mask", d,
                        sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=cfg.mask_threshold),
                        [(qk, wiring.token_sum(n, d), False)])
    return w.population(f"{prefix}.att", n * d, AND,
                        [(v, same, False), (mask, wiring.broadcast(n, d), False)])


def ssa(w, x: str, prefix: str, cfg, rng) -> str:
    n, d = cfg.n_tokens, cfg.channels
    q, k, v = _qkv(w, x, prefix, cfg, rng, "qkv")
    into_q, into_k, into_v, out = wiring.ssa_triples(n, d, cfg.heads)
    triples = w.population(f"{prefix}.qkv", into_q.shape[1], AND3,
                           [(q, into_q, False), (k, into_k, False), (v, into_v, False)])
    neuron = sm.LIF(tau_mem=cfg.tau_mem, tau_syn=0.0, v_th=SSA_THRESHOLD, reset=cfg.reset)
    return w.population(f"{prefix}.att", n * d, neuron, [(triples, out * cfg.ssa_scale, False)])


def no_attention(w, x: str, prefix: str, cfg, rng) -> str:
    return _qkv(w, x, prefix, cfg, rng, "v")[0]


#: attention kind -> writer(w, x, prefix, cfg, rng) -> output population name
ATTENTION = {"sdsa": sdsa, "ssa": ssa, "none": no_attention}
