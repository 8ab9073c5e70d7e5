"""Export a network as a runnable PyNN script (NEST, sPyNNaker, or any PyNN backend).

sm.export.pynn(net, "model.py", steps=..., inputs=...) writes model.py (readable: one PyNN
statement per population and projection) and model.npz (connection lists and source spike
times, loaded without pickle). Run it with `python model.py nest out.npz` (or spiNNaker).

Translation (dt ms per step; the canonical update adds I to v once per step):
  LIF -> IF_curr_exp with cm = dt nF (a current of w nA raises v by w mV per step), weights
  scaled by dt / (tau_syn (1 - alpha)) so each spike brings the same total charge as the
  canonical w / (1 - alpha), i_offset = bias dt / (tau_m (1 - beta)) (same steady state);
  tau_syn = 0 -> IF_curr_delta (weights in mV), v_rest = 0, tau_refrac =
  refractory * dt, IF -> tau_m = 1e9 ms; a delay of d steps -> d * dt ms. A population has
  at most two currents: the first receptor is PyNN's excitatory one (weights >= 0), the
  second the inhibitory one (weights <= 0); with one receptor each weight's sign picks it.
  CondLIF -> IF_cond_exp (same cm = dt nF): a weight w (units of the leak conductance)
  becomes w * cm / tau_m uS, the bias i_offset = bias * cm / tau_m nA, e_rev -> e_rev_E/_I
  (weights >= 0 on both: the reversal potential, not the sign, makes a receptor
  inhibitory). NEST's iaf_cond_exp integrates in continuous time (spikemem: forward Euler
  with exact conductance decay), so the two agree in rates and statistics, not spike times.
  Every source becomes a SpikeSourceArray with the spikes every spikemem target sees.
  pair_stdp (all-to-all pairing) becomes STDPMechanism(SpikePairRule, AdditiveWeightDependence)
  with A = a / w_max (PyNN's amplitudes are relative to w_max).
  stp (sm.TsodyksMarkram) becomes TsodyksMarkramSynapse(U, tau_rec, tau_facil), u starting
  at 0 (NEST's tsodyks_synapse: resources pass through the active state with tau_psc =
  the cell's tau_syn before they recover, which spikemem's rule 3d leaves out).
What a script can hold is PYNN_FEATURES; anything else (adaptive thresholds: sm.ALIF;
tau_mem = 0, as PyNN's cells need tau_m > 0; subtract reset; traces with a non-zero init) is
refused by name, and so are more than two receptors, other plasticity rules and batches.
Tied projections are written as their synapses. The script saves every population's spikes
(v and i probes are not written).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..files import atomic_path
from ..model.neurons import CondLIF
from ..model.sources import source_raster
from ..targets.simulation import check_inputs
from .support import check_writable

IF_TAU_M = 1e9  # ms: integrate-and-fire as a LIF whose leak never acts
PYNN_FEATURES = frozenset({
    "lif", "if", "tau_syn_zero", "multi_receptor", "reset_zero", "refractory", "bias",
    "v_init", "delay_1", "delays", "per_synapse_delays", "dense", "sparse", "tied_weights",
    "input_source", "poisson_source", "spike_times_source", "plasticity", "record_v",
    "record_i", "stp", "cond_lif"})

TEMPLATE = '''"""PyNN model exported by spikemem {version}: {summary}.

Run:  python {script} [BACKEND] [OUT.npz]     BACKEND: nest (default), spiNNaker, neuron, ...
Writes OUT.npz with one bool array (steps, n) of spikes per population. Input from a source
is seen at the same step as in spikemem; each hop between populations is one step later
(NEST applies a spike arriving at t from the step after t).
Connection lists (pre, post, weight, delay ms) and source spike times are in {data}.
"""
import importlib
import sys
from pathlib import Path

import numpy as np

backend = sys.argv[1] if len(sys.argv) > 1 else "nest"
out_path = sys.argv[2] if len(sys.argv) > 2 else "{stem}_spikes.npz"
sim = importlib.import_module("pyNN." + backend)
data = np.load(Path(__file__).with_name("{data}"), allow_pickle=False)

DT = {dt!r}  # ms per step
STEPS = {steps}
# NEST: grid-based neurons (iaf_psc_exp / iaf_psc_delta), spikes on the step grid like spikemem
extra = {{"spike_precision": "on_grid"}} if backend == "nest" else {{}}
sim.setup(timestep=DT, min_delay=DT, max_delay={max_delay!r}, **extra)


def spike_trains(neuron, step, n):
    """Each of n neurons' spike times (ms) from the (neuron, step) pairs of a source."""
    order = np.argsort(neuron, kind="stable")
    ends = np.cumsum(np.bincount(neuron, minlength=n))[:-1]
    return [((s + 2) * DT).tolist() for s in np.split(step[order], ends)]

# sources: the spikes every spikemem target sees (step k at time (k + 2) * DT: pyNN.nest
# delivers a source's spikes one step early through a parrot neuron)
{sources}
# populations (cm = DT nF, so a current of w nA raises v by w mV per step; conductance
# cells: a weight of w uS is w * tau_m / DT leak conductances)
{populations}
# projections (FromListConnector rows: pre, post, weight, delay in ms)
{projections}
for pop in populations.values():
    pop.record("spikes")
sim.run((STEPS + 2) * DT)

spikes = {{}}
for name, pop in populations.items():
    raster = np.zeros((STEPS, pop.size), dtype=bool)
    for k, train in enumerate(pop.get_data("spikes").segments[0].spiketrains):
        step = np.round(np.asarray(train.magnitude) / DT).astype(int) - 3
        raster[step[(step >= 0) & (step < STEPS)], k] = True
    spikes[name] = raster
if getattr(sim, "rank", lambda: 0)() == 0:  # MPI runs: every rank gathers, rank 0 writes
    np.savez(out_path, **spikes)
sim.end()
'''


def export_pynn(net, path, *, steps: int, inputs: dict | None = None, seed: int = 0) -> Path:
    """Write the PyNN script for `net` to `path` (and its data beside it, .npz) for a run of
    `steps` steps with `inputs` ({source: bool (steps, n)}); returns the script path."""
    from .. import __version__
    path = Path(path)
    if path.suffix != ".py":
        raise ModelError(f"PyNN script path {str(path)!r} must end in .py")
    check_writable(net, PYNN_FEATURES, "PyNN export", "PyNN's IF_curr_* cells have a fixed "
                   "threshold, reset to v_reset and need tau_m > 0, and its STDP traces start "
                   "at 0: change the network, or run it on a spikemem target.")
    steps = int(steps)
    batch, given = check_inputs(net, inputs or {}, steps, None)
    if batch is not None:
        raise UnsupportedFeatureError("a PyNN script runs one trial: give inputs as (steps, n)")
    arrays, src_lines, pop_lines, proj_lines = {}, [], ["populations = {}"], []
    for name, src in net.sources.items():
        raster = source_raster(src, 0, steps, None, net.dt, seed, 0, given.get(name))[0]
        step, neuron = np.nonzero(raster)
        arrays[f"src_{name}_neuron"], arrays[f"src_{name}_step"] = neuron, step
        src_lines.append(
            f"times = spike_trains(data['src_{name}_neuron'], data['src_{name}_step'], "
            f"{src.n})\n"
            f"{_var(name)} = sim.Population({src.n}, sim.SpikeSourceArray(spike_times=times), "
            f"label={name!r})")
    receptors = {}
    for pop in net.populations.values():
        cell, params, receptors[pop.name] = _cell(pop, net.dt)
        args = ", ".join(f"{k}={v!r}" for k, v in params.items())
        v0 = np.broadcast_to(pop.v_init, (pop.n,))
        init = f"{float(v0[0])!r}" if np.all(v0 == v0[0]) else f"data['v_init_{pop.name}']"
        arrays[f"v_init_{pop.name}"] = v0
        bias = np.broadcast_to(pop.bias, (pop.n,))
        if not np.all(bias == bias[0]):
            arrays[f"bias_{pop.name}"] = bias * _bias_scale(pop.model, net.dt)
            args = args.replace(f"i_offset={params['i_offset']!r}",
                                f"i_offset=data['bias_{pop.name}']")
        pop_lines.append(f"{_var(pop.name)} = sim.Population({pop.n}, sim.{cell}({args}), "
                         f"label={pop.name!r})\n{_var(pop.name)}.initialize(v={init})\n"
                         f"populations[{pop.name!r}] = {_var(pop.name)}")
    for name, p in net.projections.items():
        pre, post, w, d = p.synapses()
        kind = receptors[p.post]
        for rtype, sel in _split_receptor(name, p, w, kind):
            key = f"conn_{_var(name)}_{rtype}"
            scale = _weight_scale(net.populations[p.post].model, p.receptor, net.dt)
            arrays[key] = np.stack([pre[sel], post[sel], w[sel] * scale, d[sel] * net.dt],
                                   axis=1)
            synapse = _synapse(p, net.dt)
            proj_lines.append(
                f"sim.Projection({_var(p.pre)}, {_var(p.post)}, "
                f"sim.FromListConnector(data['{key}'].tolist()),\n"
                f"               synapse_type={synapse}, receptor_type={rtype!r}, "
                f"label={(name + ':' + rtype)!r})")
    data = path.with_suffix(".npz")
    max_delay = max([p.max_delay for p in net.projections.values()], default=1) * net.dt
    text = TEMPLATE.format(version=__version__, script=path.name, data=data.name,
                           stem=path.stem, dt=float(net.dt), steps=steps,
                           max_delay=float(max(max_delay, 2 * net.dt)),
                           summary=f"{net.n_neurons} neurons, {net.n_synapses} synapses",
                           sources="\n".join(src_lines) or "# (none)",
                           populations="\n".join(pop_lines),
                           projections="\n".join(proj_lines) or "# (none)")
    _write_atomic(data, lambda f: np.savez(f, **arrays))
    _write_atomic(path, lambda f: f.write(text.encode()))
    return path


def _var(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def _cell(pop, dt: float):
    """(PyNN cell type, parameters, receptor kind) of a population."""
    m = pop.model
    where = f"population {pop.name!r}"
    taus = [tau for _, tau in m.receptors]
    if len(taus) > 2:
        raise UnsupportedFeatureError(f"{where}: PyNN cells have two currents, the model has "
                                      f"receptors {m.receptor_names}")
    bias = np.broadcast_to(pop.bias, (pop.n,))
    params = dict(tau_m=IF_TAU_M if m.is_if else m.tau_mem, cm=dt, v_rest=0.0,
                  v_reset=m.v_reset, v_thresh=m.v_th, tau_refrac=m.refractory * dt,
                  i_offset=float(bias[0] * _bias_scale(m, dt)))
    if isinstance(m, CondLIF):
        return _cond_cell(m, params, where)
    if all(t == 0 for t in taus):
        return "IF_curr_delta", params, ("sign", None)
    if any(t == 0 for t in taus):
        raise UnsupportedFeatureError(f"{where}: PyNN cannot mix instantaneous and "
                                      "exponential currents in one cell")
    params.update(tau_syn_E=taus[0], tau_syn_I=taus[-1])
    return "IF_curr_exp", params, ("sign", None) if len(taus) == 1 else \
        ("receptor", m.receptor_names)


def _cond_cell(m: CondLIF, params: dict, where: str):
    """IF_cond_exp for a CondLIF population: its first receptor is the excitatory
    conductance, a second the inhibitory one (with one receptor, both alike)."""
    taus = [tau for _, tau in m.receptors]
    if any(t == 0 for t in taus):
        raise UnsupportedFeatureError(f"{where}: PyNN's IF_cond_exp conductances decay with "
                                      "tau_syn > 0; a CondLIF with tau_syn = 0 has no PyNN cell")
    e_rev = m.reversals
    params.update(v_rest=m.v_rest, tau_syn_E=taus[0], tau_syn_I=taus[-1], e_rev_E=e_rev[0],
                  e_rev_I=e_rev[-1])
    return "IF_cond_exp", params, ("conductance", m.receptor_names)


def _leak_conductance(m: CondLIF, dt: float) -> float:
    """A CondLIF cell's leak conductance cm / tau_m (uS, cm = dt nF): the PyNN value of
    one unit of its weights (conductances) and of its bias (a drive of 1 mV, in nA)."""
    return dt / m.tau_mem


def _bias_scale(m, dt: float) -> float:
    """i_offset per unit of bias: the same steady state, bias / (1 - beta); a CondLIF's
    bias drives v by bias / tau_m per ms, i_offset / cm with cm = dt."""
    if isinstance(m, CondLIF):
        return _leak_conductance(m, dt)
    return 1.0 if m.is_if else dt / (m.tau_mem * (1.0 - m.beta(dt)))


def _weight_scale(m, receptor: str, dt: float) -> float:
    """PyNN weight per unit of weight: the same total charge, w / (1 - alpha) per spike
    (a curr_exp current of w nA adds w * tau_syn / dt mV in all; delta: w mV); a CondLIF
    conductance: w leak conductances = w * cm / tau_m uS."""
    if isinstance(m, CondLIF):
        return _leak_conductance(m, dt)
    tau = dict(m.receptors)[receptor]
    if tau == 0:
        return 1.0
    return dt / (tau * (1.0 - math.exp(-dt / tau)))


def _split_receptor(name, p, w, kind):
    """[(PyNN receptor type, synapse mask)] for a projection."""
    mode, names = kind
    if mode == "conductance":
        if (w < 0).any():
            raise UnsupportedFeatureError(
                f"projection {name!r}: PyNN's conductances are >= 0 (the reversal potential "
                "makes a receptor inhibitory); give the weights as conductances >= 0")
        rtype = "excitatory" if p.receptor == names[0] else "inhibitory"
        return [(rtype, np.ones(w.shape, dtype=bool))]
    if mode == "sign":
        out = [("excitatory", w >= 0), ("inhibitory", w < 0)]
        return [(r, sel) for r, sel in out if sel.any()]
    rtype = "excitatory" if p.receptor == names[0] else "inhibitory"
    bad = (w < 0) if rtype == "excitatory" else (w > 0)
    if bad.any():
        raise UnsupportedFeatureError(
            f"projection {name!r}: receptor {p.receptor!r} maps to PyNN's {rtype} current, "
            f"whose weights must be {'>=' if rtype == 'excitatory' else '<='} 0")
    return [(rtype, np.ones(w.shape, dtype=bool))]


def _synapse(p, dt: float) -> str:
    rule = p.plasticity
    if p.stp is not None:
        return _tsodyks_markram(p)
    if rule is None:
        return "sim.StaticSynapse()"
    names = [t.name for t in rule.traces]
    if rule.name != "pair_stdp" or names != ["x_pre", "y_post"] or rule.traces[0].saturate \
            or not (math.isfinite(rule.w_min) and math.isfinite(rule.w_max)) or rule.w_max <= 0:
        raise UnsupportedFeatureError(
            f"projection {p.name!r}: only all-to-all pair_stdp with finite weight bounds "
            "(w_max > 0) has a PyNN equivalent (STDPMechanism with SpikePairRule)")
    tp, tm = rule.traces[0].tau, rule.traces[1].tau
    a_plus, a_minus = rule.terms[0].coef, -rule.terms[1].coef
    return (f"sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus={tp!r}, "
            f"tau_minus={tm!r}, A_plus={a_plus / rule.w_max!r}, "
            f"A_minus={a_minus / rule.w_max!r}), weight_dependence=sim."
            f"AdditiveWeightDependence(w_min={rule.w_min!r}, w_max={rule.w_max!r}), "
            f"weight=0.0, delay={p.uniform_delay * dt!r})")


def _tsodyks_markram(p) -> str:
    stp = p.stp
    if math.isinf(stp.tau_rec) or math.isinf(stp.tau_fac):
        raise UnsupportedFeatureError(
            f"projection {p.name!r}: NEST's tsodyks_synapse needs finite tau_rec and tau_fac "
            f"(got {stp.tau_rec} and {stp.tau_fac} ms): give a long finite time constant")
    return (f"sim.TsodyksMarkramSynapse(U={stp.U!r}, tau_rec={stp.tau_rec!r}, "
            f"tau_facil={stp.tau_fac!r})")


def _write_atomic(path: Path, write) -> None:
    """Call write(file) on a temporary file that replaces `path` when complete."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)