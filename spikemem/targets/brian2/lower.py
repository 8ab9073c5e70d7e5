"""Lowering of a spikemem Network to Brian2 model code (pure data; Brian2 is not imported).

Populations of one neuron model share one NeuronGroup (`sm_neurons_<model>`, each neuron
carrying its population's parameters); the model's code comes from LOWERING, a table keyed
by neuron-model class. All sources share one SpikeGeneratorGroup; static projections are
merged into one Synapses object per (presynaptic group, postsynaptic group, receptor).
Every model element maps to Brian2 abstract code written as two-operand statements, so
Brian2's code generators (numpy, cython, C++) evaluate exactly the float64 operations of
the numpy target, in the same order (see docs/targets/brian2.md):

| model element | Brian2 |
|---|---|
| LIF / IF populations | NeuronGroup `sm_neurons_LIF`; update as `run_regularly` in `groups` |
| ALIF populations | NeuronGroup `sm_neurons_ALIF`: the LIF code with threshold `theta` |
| LI populations | NeuronGroup `sm_neurons_LI`: the LIF code with `v_th = inf` (never fires) |
| CondLIF populations | NeuronGroup `sm_neurons_CondLIF`: conductances `i<r>`, Euler membrane |
| receptor r | state `i<r>`, arrival accumulator `a<r>`, per-neuron constant `alpha<r>` |
| threshold | flag `spk` computed in the update; `threshold='spk > 0.5'` |
| reset zero / subtract | `v = sub*(v - theta) + (1 - sub)*v_reset` (sub 0/1), `ref = refr` |
| refractory | integer counter `ref`; `free = int(ref <= 0)` selects v exactly |
| IF / no bias | beta = 1 / bias = 0: exact no-ops, so the code depends on receptors only |
| sources | one SpikeGeneratorGroup `sm_sources` |
| projection, delay d | Synapses, `on_pre: a<r>_post += w`, Brian2 delay (d - 1) * dt |
| graded sources | `on_pre: a<r>_post += w*sm_payload(t - lag*dt, i)`: the TimedArray of payloads |
| plasticity rule | per-synapse traces + `run_regularly` in the `synapses` slot, order -2 |
| stp (Tsodyks-Markram) | per-synapse `u`, `x`: decay in `run_regularly`, jump in `on_pre` |

Batches of B trials are B copies: a population (or source) at offset o with n neurons in
its group occupies indices [o * B, (o + n) * B) of the group, trial b at o * B + b * n.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import UnsupportedFeatureError
from ...model.neurons import ALIF, LI, LIF, CondLIF
from ...model.sources import carries_payload

#: numpy's `v > theta` becomes this flag; the thresholder only reads it
THRESHOLD = "spk > 0.5"
#: slot/order of a plastic projection's learning code: after thresholds, before delivery
LEARN_WHEN, LEARN_ORDER = "synapses", -2
#: layout key of the sources' group; a neuron group's key is its model class name
SOURCES = "sources"
#: the TimedArray (steps, source group) of the sources' payloads, where a source is graded:
#: read at delivery at the emission step (t - lag*dt, lag = delay - 1 steps)
PAYLOAD = "sm_payload"


def group_name(key: str) -> str:
    """The Brian2 name of a layout group: fixed per model, so compiled code is reused."""
    return "sm_sources" if key == SOURCES else f"sm_neurons_{key}"


@dataclass
class Layout:
    """Where each population / source lives: name -> (group key, offset, n), unbatched.

    Groups: SOURCES for all sources, the model class name (e.g. "LIF") for populations.
    """

    blocks: dict
    sizes: dict  # group key -> total neurons (unbatched), in creation order
    models: dict  # neuron group key -> neuron-model class

    def indices(self, name: str, local: np.ndarray, batch: int) -> np.ndarray:
        """Group indices of neurons `local` of `name` in every trial, trial-major."""
        _, start, n = self.blocks[name]
        local = np.asarray(local, dtype=np.int64)
        return (start * batch + np.arange(batch, dtype=np.int64)[:, None] * n
                + local[None, :]).ravel()

    def members(self, group: str) -> list[str]:
        """Names of the populations / sources in `group`, in index order."""
        return [name for name, (g, _, _) in self.blocks.items() if g == group]

    def tile(self, values: dict, group: str, batch: int) -> np.ndarray:
        """Per-neuron values {name: (n,)} of one group, laid out for `batch` trials."""
        return np.concatenate([np.tile(values[name], batch) for name in self.members(group)])


@dataclass
class NeuronPlan:
    """One NeuronGroup: equations, update/reset code, per-neuron parameters (unbatched)."""

    equations: str
    update: str
    reset: str
    params: dict  # variable -> {population: (n,) array}
    record: dict  # recordable variable ('v', 'i', 'a') -> Brian2 variable


@dataclass
class SynapsePlan:
    """One Brian2 Synapses object: one plastic projection or merged static projections.

    pre/post: group indices per synapse for ONE trial (trial b adds b * n of its block, see
    Layout); delay: int steps (uniform) or per-synapse int array.
    """

    name: str
    pre_group: str
    post_group: str
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
    """The groups of `net`; a neuron model missing from LOWERING is refused here (compile
    time) with UnsupportedFeatureError naming it."""
    blocks, sizes, models = {}, {}, {}
    for name, src in net.sources.items():
        blocks[name] = (SOURCES, sizes.get(SOURCES, 0), src.n)
        sizes[SOURCES] = blocks[name][1] + src.n
    for name, pop in net.populations.items():
        cls = type(pop.model)
        if cls not in LOWERING:
            raise UnsupportedFeatureError(
                f"target 'brian2' cannot express neuron model {cls.__name__} (population "
                f"{name!r}); it lowers {sorted(c.__name__ for c in LOWERING)}")
        key = cls.__name__
        models[key] = cls
        blocks[name] = (key, sizes.get(key, 0), pop.n)
        sizes[key] = blocks[name][1] + pop.n
    return Layout(blocks, sizes, models)


def lower_neurons(net, lay: Layout) -> dict[str, NeuronPlan]:
    """{neuron group key: its NeuronPlan}, each from the model's LOWERING entry."""
    return {key: LOWERING[cls]([net.populations[name] for name in lay.members(key)], net.dt)
            for key, cls in lay.models.items()}


def lower_lif(pops: list, dt: float) -> NeuronPlan:
    """LIF / IF populations (docs/semantics.md rules 2 and 3); threshold v_th."""
    return _cuba(pops, dt)


def lower_alif(pops: list, dt: float) -> NeuronPlan:
    """ALIF populations: the LIF code, with theta = v_th + (beta_adapt*a) (a of the previous
    step) as threshold and subtracted by a subtract reset, and a = (rho*a) + spk after the
    spike test, in every step (refractory ones too: then spk = 0)."""
    return _cuba(pops, dt, theta="theta",
                 before_spike=["th = beta_adapt*a", "theta = v_th + th"],
                 after_spike=["a = rho*a", "a = a + spk"],
                 state=["a : 1", "theta : 1"],
                 constants={"rho": lambda m: m.rho(dt), "beta_adapt": lambda m: m.beta_adapt},
                 record={"a": "a"})


def lower_cond(pops: list, dt: float) -> NeuronPlan:
    """CondLIF populations: the receptor currents i<r> are conductances, and the membrane
    is Euler's step vn = v + k*(((v_rest - v) + i0*(e0 - v)) + ... + bias)."""
    k = max(len(p.model.receptors) for p in pops)
    membrane = ["dv = v_rest - v"]
    for r in range(k):
        membrane += [f"gv{r} = e{r} - v", f"gv{r} = i{r}*gv{r}", f"dv = dv + gv{r}"]
    membrane += ["dv = dv + bias", "dv = k*dv", "vn = v + dv"]
    reversal = {f"e{r}": (lambda m, r=r: m.reversals[r] if r < len(m.reversals) else 0.0)
                for r in range(k)}
    return _cuba(pops, dt, membrane=membrane,
                 constants={"k": lambda m: m.k(dt), "v_rest": lambda m: m.v_rest, **reversal})


def _cuba(pops: list, dt: float, theta: str = "v_th", before_spike=(), after_spike=(),
          state=(), constants=None, record=None, membrane=None) -> NeuronPlan:
    """The current-based update shared by the models; the model adds its own statements
    before / after the spike test, state variables, per-neuron constants {name: f(model)}
    and recordable variables; `membrane` replaces the statements computing the new
    potential vn (default: vn = (beta*v + I) + bias).

    The code depends only on the group's largest number of receptors R: a population with
    fewer receptors has alpha = 0 and no input on the others (adding 0.0 is exact), IF is
    beta = 1, no bias is bias = 0, no refractory period is refr = 0, and the reset kind is
    the 0/1 value `sub`, each an exact no-op or selection in float64.
    """
    k = max(len(p.model.receptors) for p in pops)
    per_model = {"beta": lambda m: m.beta(dt), "v_th": lambda m: m.v_th,
                 "v_reset": lambda m: m.v_reset, **(constants or {})}
    params: dict = {name: {} for name in ["bias", "v", "refr", "sub", *per_model] +
                    [f"alpha{r}" for r in range(k)]}
    for pop in pops:
        m, n = pop.model, pop.n
        alphas = list(m.alphas(dt).values())
        for r in range(k):
            params[f"alpha{r}"][pop.name] = np.full(n, alphas[r] if r < len(alphas) else 0.0)
        params["bias"][pop.name] = np.broadcast_to(np.asarray(pop.bias, float), (n,)).copy()
        params["v"][pop.name] = np.broadcast_to(np.asarray(pop.v_init, float), (n,)).copy()
        params["refr"][pop.name] = np.full(n, m.refractory, dtype=np.int64)
        params["sub"][pop.name] = np.full(n, int(m.reset == "subtract"), dtype=np.int64)
        for name, value in per_model.items():
            params[name][pop.name] = np.full(n, value(m))
    eqs = ["v : 1", "spk : 1", "ref : integer", *state, "bias : 1 (constant)"]
    eqs += [f"{c} : 1 (constant)" for c in per_model]
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
    code += [*(membrane or ["vn = beta*v", f"vn = vn + {current}", "vn = vn + bias"]),
             "free = int(ref <= 0)",
             "v = free*vn + (1 - free)*v_reset",
             "ref = ref - (1 - free)",
             *before_spike,
             f"spk = free*int(v > {theta})",
             *after_spike]
    reset = [f"v = sub*(v - {theta}) + (1 - sub)*v_reset", "ref = refr"]
    return NeuronPlan("\n".join(eqs), "\n".join(code), "\n".join(reset), params,
                      {"v": "v", "i": current, **(record or {})})


#: neuron model class -> function(populations, dt ms) -> NeuronPlan (the lowering table;
#: LI: the LIF code with v_th = inf, never crossed)
LOWERING = {LIF: lower_lif, ALIF: lower_alif, LI: lower_lif, CondLIF: lower_cond}


def lower_projections(net, lay: Layout) -> list[SynapsePlan]:
    """Merged static Synapses per (pre group, post group, receptor), then one per plastic
    projection."""
    static: dict = {}
    plastic, dynamic = [], []
    graded = any(carries_payload(s) for s in net.sources.values())
    for name, proj in net.projections.items():
        pre, post, w, d = proj.synapses()
        if pre.size == 0:
            continue
        r = net.populations[proj.post].receptors.index(proj.receptor)
        part = (name, proj.pre, proj.post, pre.astype(np.int64), post.astype(np.int64),
                np.asarray(w, dtype=np.float64), d.astype(np.int64))
        deliver = f"a{r}_post += w"
        pre_g, post_g = lay.blocks[proj.pre][0], lay.blocks[proj.post][0]
        if proj.stp is not None:
            dynamic.append(_lower_stp(f"sm_stp{len(dynamic)}", pre_g, post_g, part, r, proj,
                                      net.dt))
            continue
        if proj.plasticity is None:
            key = (pre_g, post_g, r)
            if key not in static:
                static[key] = SynapsePlan(f"sm_static_{pre_g}_{post_g}_{r}", pre_g, post_g, [],
                                          r, on_pre=deliver)
                if pre_g == SOURCES and graded:
                    static[key].model += "\nlag : 1 (constant)"
                    static[key].on_pre = f"a{r}_post += w*{PAYLOAD}(t - lag*dt, i)"
            static[key].parts.append(part)
            continue
        plan = SynapsePlan(f"sm_plastic{len(plastic)}", pre_g, post_g, [part], r,
                           on_pre=deliver + "\npspk = 1", projection=proj)
        _lower_rule(plan, proj.plasticity, net.dt)
        plastic.append(plan)
    return list(static.values()) + plastic + dynamic


def _lower_stp(name: str, pre_g: str, post_g: str, part: tuple, r: int, proj,
               dt: float) -> SynapsePlan:
    """A projection with Tsodyks-Markram synapses (semantics rule 3d) with u, x per synapse.

    on_pre runs at arrival; each synapse has one delay, so its u, x see the spike intervals
    of emission (shifted by a constant number of steps from a resting state that the decay
    keeps exact: u = 0, x = 1). The decay runs every step before delivery."""
    d_rec, d_fac = proj.stp.decays(dt)
    plan = SynapsePlan(name, pre_g, post_g, [part], r, projection=proj)
    plan.model = "\n".join(["w : 1 (constant)", "u : 1", "x : 1",
                            "U : 1 (shared, constant)", "d_rec : 1 (shared, constant)",
                            "d_fac : 1 (shared, constant)"])
    plan.constants = {"U": proj.stp.U, "d_rec": d_rec, "d_fac": d_fac}
    plan.initial = {"u": 0.0, "x": 1.0}
    plan.learn = "\n".join(["u = d_fac*u", "stp_used = 1 - x", "stp_left = d_rec*stp_used",
                            "x = 1 - stp_left"])
    plan.on_pre = "\n".join(["stp_free = 1 - u", "stp_inc = U*stp_free", "u = u + stp_inc",
                             "stp_e = u*x", "x = x - stp_e", "stp_w = w*stp_e",
                             f"a{r}_post += stp_w"])
    return plan


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
