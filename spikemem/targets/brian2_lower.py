"""Lowering of a spikemem Network to Brian2 model code (pure data; Brian2 is not imported).

Like the numpy target, all populations share one NeuronGroup (each neuron carries its
population's parameters) and all sources one SpikeGeneratorGroup; static projections are
merged into one Synapses object per (presynaptic group, receptor). Every model element maps
to Brian2 abstract code written as two-operand statements, so Brian2's code generators
(numpy, cython, C++) evaluate exactly the float64 operations of the numpy target, in the
same order (see docs/targets/brian2.md):

| model element | Brian2 |
|---|---|
| populations | one NeuronGroup `sm_neurons`; update as `run_regularly` in the `groups` slot |
| receptor r | state `i<r>`, arrival accumulator `a<r>`, per-neuron constant `alpha<r>` |
| threshold | flag `spk` computed in the update; `threshold='spk > 0.5'` |
| reset zero / subtract | `v = sub*(v - v_th) + (1 - sub)*v_reset` (sub 0/1), `ref = refr` |
| refractory | integer counter `ref`; `free = int(ref <= 0)` selects v exactly |
| IF / no bias | beta = 1 / bias = 0: exact no-ops, so the code depends on receptors only |
| sources | one SpikeGeneratorGroup `sm_sources` |
| projection, delay d | Synapses, `on_pre: a<r>_post += w`, Brian2 delay (d - 1) * dt |
| plasticity rule | per-synapse traces + `run_regularly` in the `synapses` slot, order -2 |

Batches of B trials are B copies: a population (or source) at offset o with n neurons
occupies indices [o * B, (o + n) * B) of its group, trial b at o * B + b * n.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: numpy's `v > v_th` becomes this flag; the thresholder only reads it
THRESHOLD = "spk > 0.5"
#: slot/order of a plastic projection's learning code: after thresholds, before delivery
LEARN_WHEN, LEARN_ORDER = "synapses", -2
NEURONS, SOURCES = "neurons", "sources"


@dataclass
class Layout:
    """Where each population / source lives: name -> (group, offset, n), unbatched."""

    blocks: dict
    sizes: dict  # group -> total neurons (unbatched)

    def indices(self, name: str, local: np.ndarray, batch: int) -> np.ndarray:
        """Group indices of neurons `local` of `name` in every trial, trial-major."""
        _, start, n = self.blocks[name]
        local = np.asarray(local, dtype=np.int64)
        return (start * batch + np.arange(batch, dtype=np.int64)[:, None] * n
                + local[None, :]).ravel()

    def tile(self, values: dict, group: str, batch: int) -> np.ndarray:
        """Per-neuron values {name: (n,)} of one group, laid out for `batch` trials."""
        parts = [np.tile(values[name], batch) for name, (g, _, _) in self.blocks.items()
                 if g == group]
        return np.concatenate(parts) if parts else np.zeros(0)


@dataclass
class NeuronPlan:
    """The NeuronGroup: equations, update/reset code, per-neuron parameters (unbatched)."""

    equations: str
    update: str
    reset: str
    params: dict  # variable -> {population: (n,) array}
    current_var: str  # the variable recorded as 'i' (summed synaptic current)


@dataclass
class SynapsePlan:
    """One Brian2 Synapses object: one plastic projection or merged static projections.

    pre/post: group indices per synapse for ONE trial (trial b adds b * n of its block, see
    Layout); delay: int steps (uniform) or per-synapse int array.
    """

    name: str
    pre_group: str
    parts: list  # (projection name, pre name, post name, pre idx, post idx, weights, delays)
    receptor: int
    model: str = "w : 1 (constant)"
    on_pre: str = ""
    learn: str = ""
    constants: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)  # per-synapse variable -> value before step 0
    projection: object = None  # the plastic Projection, None for merged static ones

    @property
    def delay(self):
        d = np.concatenate([p[6] for p in self.parts])
        return int(d[0]) if d.size and np.all(d == d[0]) else d


def layout(net) -> Layout:
    blocks, sizes = {}, {NEURONS: 0, SOURCES: 0}
    for group, nodes in ((SOURCES, net.sources), (NEURONS, net.populations)):
        for name, node in nodes.items():
            blocks[name] = (group, sizes[group], node.n)
            sizes[group] += node.n
    return Layout(blocks, sizes)


def lower_neurons(net) -> NeuronPlan:
    """Brian2 code for all LIF/IF populations (docs/semantics.md rules 2 and 3).

    The code depends only on the largest number of receptors R: a population with fewer
    receptors has alpha = 0 and no input on the others (adding 0.0 is exact), IF is
    beta = 1, no bias is bias = 0, no refractory period is refr = 0, and the reset kind is
    the 0/1 value `sub`, each an exact no-op or selection in float64.
    """
    pops = net.populations
    k = max((len(p.receptors) for p in pops.values()), default=1)
    dt = net.dt
    params: dict = {name: {} for name in
                    ["bias", "beta", "v_th", "v_reset", "refr", "sub", "v"] +
                    [f"alpha{r}" for r in range(k)]}
    for name, pop in pops.items():
        m, n = pop.model, pop.n
        alphas = list(m.alphas(dt).values())
        for r in range(k):
            params[f"alpha{r}"][name] = np.full(n, alphas[r] if r < len(alphas) else 0.0)
        params["bias"][name] = np.broadcast_to(np.asarray(pop.bias, float), (n,)).copy()
        params["v"][name] = np.broadcast_to(np.asarray(pop.v_init, float), (n,)).copy()
        params["beta"][name] = np.full(n, m.beta(dt))
        params["v_th"][name] = np.full(n, m.v_th)
        params["v_reset"][name] = np.full(n, m.v_reset)
        params["refr"][name] = np.full(n, m.refractory, dtype=np.int64)
        params["sub"][name] = np.full(n, int(m.reset == "subtract"), dtype=np.int64)
    eqs = ["v : 1", "spk : 1", "ref : integer"]
    eqs += [f"{c} : 1 (constant)" for c in ("bias", "beta", "v_th", "v_reset")]
    eqs += ["refr : integer (constant)", "sub : integer (constant)"]
    code = []
    for r in range(k):
        eqs += [f"i{r} : 1", f"a{r} : 1", f"alpha{r} : 1 (constant)"]
        code += [f"i{r} = alpha{r}*i{r} + a{r}", f"a{r} = 0"]
    current = "i0"
    if k > 1:
        current = "isum"
        eqs.append("isum : 1")
        code.append("isum = i0 + i1")
        code += [f"isum = isum + i{r}" for r in range(2, k)]
    code += ["vn = beta*v",
             f"vn = vn + {current}",
             "vn = vn + bias",
             "free = int(ref <= 0)",
             "v = free*vn + (1 - free)*v_reset",
             "ref = ref - (1 - free)",
             "spk = free*int(v > v_th)"]
    reset = ["v = sub*(v - v_th) + (1 - sub)*v_reset", "ref = refr"]
    return NeuronPlan("\n".join(eqs), "\n".join(code), "\n".join(reset), params, current)


def lower_projections(net, lay: Layout) -> list[SynapsePlan]:
    """Merged static Synapses per (pre group, receptor), then one per plastic projection."""
    static: dict = {}
    plastic = []
    for name, proj in net.projections.items():
        pre, post, w, d = proj.synapses()
        if pre.size == 0:
            continue
        r = net.populations[proj.post].receptors.index(proj.receptor)
        part = (name, proj.pre, proj.post, pre.astype(np.int64), post.astype(np.int64),
                np.asarray(w, dtype=np.float64), d.astype(np.int64))
        deliver = f"a{r}_post += w"
        if proj.plasticity is None:
            key = (lay.blocks[proj.pre][0], r)
            if key not in static:
                static[key] = SynapsePlan(f"sm_static_{key[0]}_{r}", key[0], [], r,
                                          on_pre=deliver)
            static[key].parts.append(part)
            continue
        plan = SynapsePlan(f"sm_plastic{len(plastic)}", lay.blocks[proj.pre][0], [part], r,
                           on_pre=deliver + "\npspk = 1", projection=proj)
        _lower_rule(plan, proj.plasticity, net.dt)
        plastic.append(plan)
    return list(static.values()) + plastic


def _lower_rule(plan: SynapsePlan, rule, dt: float) -> None:
    """Per-synapse learning code for `rule` (semantics rules 4 and 5), in SSA form.

    Pre traces are kept per synapse: every copy of a presynaptic neuron's trace sees the
    same spikes and the same operations, so all copies equal the per-neuron trace.
    """
    eqs = ["w : 1", "pspk : 1", "w_min : 1 (shared, constant)", "w_max : 1 (shared, constant)"]
    consts = {"w_min": rule.w_min, "w_max": rule.w_max}
    var = {"pre": "pspk", "post": "spk_post", "w": "w"}
    code = []
    for k, tr in enumerate(rule.traces):
        x, spike = f"tr{k}", ("pspk" if tr.side == "pre" else "spk_post")
        var[tr.name] = x
        eqs += [f"{x} : 1", f"decay{k} : 1 (shared, constant)", f"jump{k} : 1 (shared, constant)"]
        consts[f"decay{k}"], consts[f"jump{k}"] = tr.decay(dt), tr.jump
        plan.initial[x] = tr.init
        code.append(f"{x} = {x}*decay{k}")
        if tr.saturate:
            code.append(f"{x} = {spike}*jump{k} + (1 - {spike})*{x}")
        else:
            code.append(f"{x} = {x} + jump{k}*{spike}")
    dw = None
    for k, term in enumerate(rule.terms):
        eqs.append(f"coef{k} : 1 (shared, constant)")
        consts[f"coef{k}"] = term.coef
        acc = f"coef{k}"
        for step, f in enumerate(term.factors):  # ((coef * f1) * f2) * ..., as written
            code.append(f"c{k}_{step} = {acc}*{var[f]}")
            acc = f"c{k}_{step}"
        if not term.factors:  # a constant term: make it a per-synapse value (c + 0*w == c)
            code.append(f"c{k}_0 = {acc} + 0*w")
            acc = f"c{k}_0"
        if dw is None:
            dw = acc
        else:
            code.append(f"dw{k} = {dw} + {acc}")
            dw = f"dw{k}"
    if dw is not None:
        code.append(f"w = w + {dw}")
    code += ["w = clip(w, w_min, w_max)", "pspk = 0"]
    plan.model = "\n".join(eqs)
    plan.learn = "\n".join(code)
    plan.constants = consts
