"""A spikemem Network as a trainable torch.nn.Module (BPTT with surrogate gradients).

    net_mod = sm.torch.module(net, trainable=("weights",))
    out = net_mod(x)                 # x: (batch, steps, n) spikes of the input source
                                     # (graded: integer payloads; current: real values)
    loss = f(out.counts["out"])      # out.spikes / out.traces / out.counts, batch first
    trained = net_mod.to_network()   # a Network with the trained values, for any target

The forward pass is the canonical update (docs/semantics.md), evaluated group by group
(spikemem/torch/schedule.py): the input currents of a population from sources and upstream
populations are computed for all steps in one (sparse-aware) product; only recurrent input
is computed step by step. On the CPU, a population without recurrent input runs its time
loop as compiled chunks with a hand-written backward (spikemem/targets/torch/fused.py);
the others step their kernels under autograd. Each forward starts from the network's
initial state.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ..errors import ModelError
from ..model.sources import CurrentSource, InputSource, carries_payload, source_raster
from ..targets.torch import fused
from ..targets.torch.delivery import delayed_spike_product
from ..targets.torch.neurons import ALIFParams, lower_network, recorded
from .schedule import population_groups

#: trainable neuron parameters (per population; bias per neuron); a population trains the
#: ones its model has (tau_adapt, beta_adapt: ALIF)
NEURON_PARAMETERS = ALIFParams.TRAINABLE


@dataclasses.dataclass
class Output:
    """Recorded tensors of one forward pass, batch first.

    spikes[name]: (batch, steps, n) 0/1 (differentiable through the surrogate);
    traces[name][var]: (batch, steps, n) for var 'v' (after reset), 'i' or 'a' (ALIF);
    counts[name]: (batch, n) spikes per neuron (sum over steps, differentiable).
    """

    spikes: dict
    traces: dict
    counts: dict


class _Projection(nn.Module):
    """One static projection: its trainable values and delay groups. The values are the
    dense matrix, the CSR synapse values, or for a tied projection its shared parameter
    tensor (each synapse gathers its weight by the structure's param_index, so a gradient
    is one per shared weight)."""

    def __init__(self, proj, dtype, trainable: bool):
        super().__init__()
        self.name, self.pre, self.post = proj.name, proj.pre, proj.post
        self.shape, self.sparse = proj.shape, proj.is_sparse
        self.tied = proj.tied is not None
        pre, post, w, d = proj.synapses()
        if self.tied:
            values = proj.tied.parameters
            self.register_buffer("index", torch.tensor(proj.tied.expand()[2]))
        else:
            values = proj.dense_weights() if not self.sparse else w
        value = torch.tensor(np.array(values), dtype=dtype)  # a copy: the Network stays
        if trainable:
            self.weight = nn.Parameter(value)
        else:
            self.register_buffer("weight", value)
        flat = torch.as_tensor(pre * self.shape[1] + post, dtype=torch.int64)
        self.delays = [int(x) for x in np.unique(d)]
        self.uniform = len(self.delays) == 1
        for k, delay in enumerate(self.delays):
            sel = torch.as_tensor(np.flatnonzero(d == delay), dtype=torch.int64)
            self.register_buffer(f"flat{k}", flat[sel])
            self.register_buffer(f"sel{k}", sel)

    def synapse_values(self) -> torch.Tensor:
        """(n_synapses,) weights in CSR order (dense: row-major), differentiable."""
        values = self.weight.reshape(-1)
        return values[self.index] if self.tied else values

    def matrices(self):
        """[(delay, dense (n_pre, n_post) weight tensor)] for this forward pass."""
        n_pre, n_post = self.shape
        if not self.sparse and self.uniform:
            return [(self.delays[0], self.weight)]
        values = self.synapse_values()
        out = []
        for k, delay in enumerate(self.delays):
            sel, flat = getattr(self, f"sel{k}"), getattr(self, f"flat{k}")
            dense = torch.zeros(n_pre * n_post, dtype=values.dtype, device=values.device)
            out.append((delay, dense.index_add(0, flat, values[sel]).view(n_pre, n_post)))
        return out

    def network_weights(self):
        """The values as the Network stores them (float64): a dense ndarray, the CSR values,
        or a tied projection's parameter tensor."""
        return self.weight.detach().cpu().to(torch.float64).numpy().copy()


class SpikingModule(nn.Module):
    """A Network's forward pass as a differentiable module; see spikemem.torch.module."""

    def __init__(self, net, trainable=("weights",), *, surrogate=None, dtype=torch.float32,
                 record=None, seed: int = 0, snntorch_neurons: bool = True):
        super().__init__()
        import snntorch.surrogate as surr

        self.net, self.dt, self.seed = net, net.dt, int(seed)
        self.dtype = dtype
        trainable = _check_trainable(net, trainable)
        plastic = [p.name for p in net.projections.values() if p.plasticity is not None]
        if plastic:
            raise ModelError(f"spikemem.torch.module: projections {plastic} are plastic; "
                             "BPTT through plasticity rules is not supported: remove their "
                             "plasticity for training, or simulate them with target='torch'")
        dynamic = [p.name for p in net.projections.values() if p.stp is not None]
        if dynamic:
            raise ModelError(f"spikemem.torch.module: projections {dynamic} have short-term "
                             "plasticity (stp); BPTT through Tsodyks-Markram synapses is not "
                             "supported: remove their stp for training, or simulate them with "
                             "target='torch'")
        self.trainable = trainable
        self.spike_fn = surrogate if surrogate is not None else surr.atan()
        self.pop_names = list(net.populations)
        blocks = lower_network(net, dtype, snntorch_neurons, trainable & set(NEURON_PARAMETERS),
                               "spikemem.torch.module")
        self.params = nn.ModuleList(b.params for b in blocks)
        self.kernels = [b.kernel for b in blocks]
        self.cells = nn.ModuleList(k.cell for k in self.kernels if k.uses_snntorch)
        self.projs = nn.ModuleList(
            _Projection(p, dtype, "weights" in trainable or p.name in trainable)
            for p in net.projections.values())
        self.groups = population_groups(net)
        self.pop_index = {name: k for k, name in enumerate(self.pop_names)}
        #: per population: its time loop may run as one compiled call (on a CPU device)
        self.fusable = [fused.fusable(k, self.spike_fn, dtype) for k in self.kernels]
        self.record = [(p.target, p.variable) for p in net.probes] if record is None \
            else _check_record(net, record)
        self.receptor = {p.name: net.populations[p.post].receptors.index(p.receptor)
                         for p in net.projections.values()}
        #: sources whose events carry a value (graded payloads, analog currents)
        self.valued = {name for name, src in net.sources.items() if carries_payload(src)}

    # ---- inputs --------------------------------------------------------------------------
    def _drive(self, x) -> tuple[dict, int, int]:
        """{source: (steps, batch, n) float} from x: a tensor for the only input source, or
        a dict {source name: (batch, steps, n)}."""
        inputs = [s for s in self.net.sources.values() if isinstance(s, InputSource)]
        if not isinstance(x, dict):
            if len(inputs) != 1:
                raise ModelError(f"forward(x): this network has input sources "
                                 f"{[s.name for s in inputs]}; pass a dict {{name: tensor}}")
            x = {inputs[0].name: x}
        shape = None
        for name, t in x.items():
            src = self.net.sources.get(name)
            if not isinstance(src, InputSource):
                raise ModelError(f"forward: {name!r} is not an input source of this network")
            if not torch.is_tensor(t) or t.dim() != 3 or t.shape[2] != src.n:
                raise ModelError(f"forward: input {name!r} must be a tensor (batch, steps, "
                                 f"{src.n}), got {tuple(getattr(t, 'shape', ()))}")
            if shape is not None and t.shape[:2] != shape:
                raise ModelError("forward: all inputs need the same (batch, steps)")
            shape = t.shape[:2]
        if shape is None:
            raise ModelError("forward(x): give the spikes of at least one input source")
        batch, steps = int(shape[0]), int(shape[1])
        device = self.params[0].v_init.device if len(self.params) else torch.device("cpu")
        drive = {}
        for name, src in self.net.sources.items():
            if name in self.valued and name in x:
                drive[name] = self._values(name, src, x[name].to(device))
            elif name in x:  # spikes as bool, (steps, batch, n): products use their indices
                t = x[name].to(device)
                if t.dtype != torch.bool:
                    if bool(((t != 0) & (t != 1)).any()):
                        raise ModelError(f"forward: input {name!r} must hold spikes (0 or 1)")
                    t = t != 0
                drive[name] = t.transpose(0, 1).contiguous()
            else:
                raster = source_raster(src, 0, steps, batch, self.dt, self.seed, 0)
                drive[name] = torch.as_tensor(np.ascontiguousarray(raster.transpose(1, 0, 2)),
                                              device=device)
        return drive, batch, steps

    def _values(self, name: str, src, t: torch.Tensor) -> torch.Tensor:
        """(steps, batch, n) in the module's dtype: a current source's finite values (kept
        in the autograd graph, so an encoder before the network trains too), or a graded
        source's integer payloads 0 .. 2**payload_bits - 1."""
        if isinstance(src, CurrentSource):
            if not bool(torch.isfinite(t).all()):
                raise ModelError(f"forward: input {name!r} (current source) holds inf or NaN")
        else:
            if t.is_floating_point() and bool((t != torch.round(t)).any()):
                raise ModelError(f"forward: input {name!r} (graded source) takes integer "
                                 "payloads (e.g. event counts per bin)")
            if bool((t < 0).any()) or bool((t > src.max_payload).any()):
                raise ModelError(f"forward: input {name!r} has payloads outside 0 .. "
                                 f"{src.max_payload} (payload_bits={src.payload_bits}): clip "
                                 "the counts or declare more payload bits")
        return t.to(self.dtype).transpose(0, 1)

    # ---- forward -------------------------------------------------------------------------
    def forward(self, x) -> Output:
        """x: (batch, steps, n) spikes (0/1, any dtype) of the input source, or a dict
        {source name: tensor}; a graded source takes integer payloads, a current source
        real values (differentiable). Returns the recorded Output (batch first)."""
        drive, batch, steps = self._drive(x)
        hist = dict(drive)  # node -> (steps, batch, n)
        by_post: dict[str, list] = {}
        for proj in self.projs:
            by_post.setdefault(proj.post, []).append((proj, proj.matrices()))
        traces: dict = {}
        for group in self.groups:
            members = set(group)
            ext, inner = {}, {}
            for name in group:
                ext[name], inner[name] = self._inputs(name, by_post.get(name, []), members,
                                                      hist)
            rec = [(name, var) for name, var in self.record
                   if name in members and var not in ("spikes", "counts")]
            k = self.pop_index[group[0]]
            if len(group) == 1 and not inner[group[0]] and self.fusable[k] \
                    and self.params[k].v_init.device.type == "cpu":
                hist[group[0]], recorded_traces = self._fused(k, ext[group[0]], batch, steps,
                                                              rec)
            else:
                recorded_traces = self._stepped(group, ext, inner, batch, steps, rec, hist)
            for (name, var), values in recorded_traces.items():
                traces.setdefault(name, {})[var] = values
        spikes = {t: hist[t].transpose(0, 1).to(self.dtype) for t, v in self.record
                  if v == "spikes"}
        counts = {t: hist[t].to(self.dtype).sum(0) for t, v in self.record if v == "counts"}
        return Output(spikes=spikes, traces=traces, counts=counts)

    def _inputs(self, name, projections, members, hist) -> tuple[list, list]:
        """(ext, inner) of population `name`: ext[r] the arrivals (steps, batch, n) at
        receptor r from outside its group, all steps at once (None: no input); inner
        [(pre, delay, weight, r)] the projections from within its group."""
        prm = self.params[self.pop_index[name]]
        ext, inner = [None] * len(prm.receptors), []
        for proj, mats in projections:
            r = self.receptor[proj.name]
            if proj.pre in members:
                inner += [(proj.pre, d, w, r) for d, w in mats]
                continue
            for d, w in mats:
                cur = _delayed_product(hist[proj.pre], d, w, proj.pre in self.valued)
                ext[r] = cur if ext[r] is None else ext[r] + cur
        return ext, inner

    def _fused(self, k: int, ext: list, batch: int, steps: int, rec: list) -> tuple:
        """Population k's spikes (steps, batch, n) and {(name, var): (batch, steps, n)}
        through its fused time loop (spikemem.targets.torch.fused)."""
        prm = self.params[k]
        zeros = None
        for r, e in enumerate(ext):
            if e is None:
                zeros = zeros if zeros is not None else \
                    torch.zeros((steps, batch, prm.n), dtype=self.dtype)
                ext[r] = zeros
        x = ext[0].unsqueeze(0) if len(ext) == 1 else torch.stack(ext)
        s, values = fused.run(self.kernels[k], self.spike_fn, x, [var for _, var in rec])
        return s, {(name, var): values[var].transpose(0, 1) for name, var in rec}

    def _stepped(self, group, ext, inner, batch, steps, rec, hist) -> dict:
        """Step the group's populations together (recurrent input), writing their spikes
        (steps, batch, n) into hist; {(name, var): (batch, steps, n)} recorded."""
        # one tensor per step: unbind's backward stacks once, where indexing a (steps,
        # batch, n) tensor per step would allocate a full gradient per step
        ext = {name: [None if e is None else e.unbind(0) for e in arrivals]
               for name, arrivals in ext.items()}
        out = {name: [] for name in group}
        values = {key: [] for key in rec}
        states = {name: self.params[self.pop_index[name]].init_state(batch) for name in group}
        for t in range(steps):
            for name in group:
                k = self.pop_index[name]
                prm = self.params[k]
                arrivals = []
                for r in range(len(prm.receptors)):
                    a = ext[name][r][t] if ext[name][r] is not None else None
                    for pre, d, w, rr in inner[name]:
                        if rr == r and t - d >= 0:
                            c = out[pre][t - d] @ w
                            a = c if a is None else a + c
                    arrivals.append(a if a is not None else
                                    torch.zeros((batch, prm.n), dtype=self.dtype,
                                                device=prm.v_init.device))
                s, states[name] = self.kernels[k].step(arrivals, states[name], self.spike_fn)
                out[name].append(s)
            for (name, var), trace in values.items():
                trace.append(recorded(states[name], var))
        for name in group:
            hist[name] = torch.stack(out[name])
        return {key: torch.stack(trace, dim=1) for key, trace in values.items()}

    # ---- export --------------------------------------------------------------------------
    def to_network(self):
        """A new Network equal to the compiled one but with this module's current values
        (weights, and trained neuron parameters); probes are copied. Trained values must be
        valid for the model (e.g. beta_adapt >= 0, tau > 0), else ModelError."""
        net = self.net.snapshot()
        for proj in self.projs:
            w = proj.network_weights()
            if proj.sparse and not proj.tied:
                old = net.projections[proj.name].weights
                w = sp.csr_array((w, old.indices, old.indptr), shape=old.shape)
            net.set_weights(proj.name, w)
        for prm, name in zip(self.params, self.pop_names):
            pop = net.populations[name]
            changes = prm.trained_model_fields()
            bias = None
            if isinstance(prm.bias, nn.Parameter):
                bias = prm.bias.detach().cpu().to(torch.float64).numpy().copy()
            if changes or bias is not None:
                net.set_population(name, model=dataclasses.replace(pop.model, **changes),
                                   bias=pop.bias if bias is None else bias)
        return net


def _delayed_product(spikes: torch.Tensor, delay: int, w: torch.Tensor,
                     valued: bool = False) -> torch.Tensor:
    """Arrivals (steps, batch, n_post) of spikes (steps, batch, n_pre) through w with a delay
    (steps): row t is W^T s[t - delay], zero before the first step. valued: the events
    carry values (payloads, currents), not only 0/1."""
    steps, batch, n_pre = spikes.shape
    shift = min(delay, steps) * batch
    cur = delayed_spike_product(spikes.reshape(steps * batch, n_pre), w, shift, valued)
    return cur.view(steps, batch, -1)


def _check_trainable(net, trainable) -> frozenset:
    if isinstance(trainable, str):
        trainable = (trainable,)
    declared = {name for p in net.populations.values() for name in type(p.model).parameters()}
    neuron = [name for name in NEURON_PARAMETERS if name in declared]
    allowed = {"weights", *neuron, *net.projections}
    bad = [t for t in trainable if t not in allowed]
    if bad:
        raise ModelError(f"spikemem.torch.module: trainable={bad} are unknown for this "
                         f"network; use 'weights', {neuron} (neuron parameters its models "
                         f"have) or projection names {sorted(net.projections)}")
    return frozenset(trainable)


def _check_record(net, record) -> list:
    from ..model.network import SOURCE_VARIABLES, Population, population_variables

    out = []
    for item in record:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ModelError(f"record: give (name, variable) pairs, got {item!r}")
        node = net.node(item[0])
        allowed = population_variables(node.model) if isinstance(node, Population) \
            else SOURCE_VARIABLES
        if item[1] not in allowed:
            raise ModelError(f"record: cannot record {item[1]!r} of {node.name!r}; use one of "
                             f"{allowed}")
        out.append((node.name, item[1]))
    return out


def module(net, trainable=("weights",), **options) -> SpikingModule:
    """`net` as a trainable torch.nn.Module.

    trainable: 'weights' (all projections), projection names, and any of 'tau_mem', 'v_th',
        'tau_adapt', 'beta_adapt' (per population, where its model has them: the last two
        ALIF) and 'bias' (per neuron).
    options: surrogate (a snntorch.surrogate function; default atan()), dtype
        (torch.float32 default, float64 for results equal to target='numpy'), record
        (list of (name, variable); default the network's probes), seed (Poisson sources),
        snntorch_neurons (bool). Move with .to(device).
    """
    return SpikingModule(net, trainable, **options)
