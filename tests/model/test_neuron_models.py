"""The neuron-model protocol: declared parameters validate themselves, models serialise
generically and round-trip, features and recordable variables come from the model, and
every target refuses a model missing from its lowering table at compile time."""
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikemem as sm
from spikemem.errors import ModelError, UnsupportedFeatureError
from spikemem.model.neurons import MODELS, CubaNeuron, NeuronModel, Param

#: a value each kind of parameter check must refuse, with the words the error must use
BAD = {"tau": (-1.0, ">= 0|> 0"), "real": (math.nan, "finite"), "steps": (1.5, "integer"),
       "choice": ("sideways", "unknown"), "taus": ({"syn": -2.0}, ">= 0"),
       "potentials": ({"syn": math.nan}, "finite")}


def test_registry_holds_the_shipped_models():
    assert MODELS == {"LIF": sm.LIF, "ALIF": sm.ALIF, "LI": sm.LI, "CondLIF": sm.CondLIF}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_parameter_is_declared_with_a_unit_and_validated(kind):
    cls = MODELS[kind]
    params = cls.parameters()
    assert params, f"{kind} declares no parameters"
    for name, spec in params.items():
        assert isinstance(spec, Param) and spec.doc and spec.unit in ("ms", "steps", "v", "1", "")
        bad, words = BAD[spec.check]
        with pytest.raises(ModelError, match=f"{kind} {name}.*({words})"):
            cls(**{name: bad})


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_state_and_recordable_variables_are_declared(kind):
    cls = MODELS[kind]
    assert set(cls.recordable) <= set(cls.state)
    net = sm.Network()
    net.population("p", 2, cls())
    for var in cls.recordable:
        net.record("p", var)
    with pytest.raises(ModelError, match="cannot record 'w'"):
        net.record("p", "w")


taus = st.one_of(st.just(math.inf), st.floats(0.0, 1e3))
models = st.one_of(
    st.builds(sm.LIF, tau_mem=taus, tau_syn=st.one_of(
        st.floats(0.0, 50.0), st.dictionaries(st.sampled_from(["exc", "inh", "nmda"]),
                                              st.floats(0.0, 50.0), min_size=1)),
        v_th=st.floats(-5, 5), v_reset=st.floats(-5, 5),
        reset=st.sampled_from(["zero", "subtract"]), refractory=st.integers(0, 20),
        bias=st.floats(-1, 1)),
    st.builds(sm.ALIF, tau_mem=taus, tau_adapt=st.one_of(st.just(math.inf),
                                                         st.floats(0.01, 1e4)),
              beta_adapt=st.floats(0.0, 10.0)))


@settings(max_examples=200, deadline=None)
@given(models)
def test_round_trip_through_strict_json(model):
    text = sm.model.serial.dumps(model.to_dict())
    back = NeuronModel.from_dict(__import__("json").loads(text))
    assert back == model and type(back) is type(model) and hash(back) == hash(model)


def test_unknown_type_and_field_name_the_fix():
    with pytest.raises(ModelError, match="'ALIFF' is unknown.*did you mean 'ALIF'"):
        NeuronModel.from_dict({"type": "ALIFF"})
    with pytest.raises(ModelError, match="unknown field 'tau_adpt'.*did you mean 'tau_adapt'"):
        NeuronModel.from_dict({"type": "ALIF", "tau_adpt": 5.0})
    with pytest.raises(ModelError, match="a table with a 'type'"):
        NeuronModel.from_dict({"tau_mem": 5.0})


def test_features_come_from_the_model():
    assert sm.LIF().features() == {"lif", "reset_zero"}
    assert sm.IF(reset="subtract").features() == {"if", "reset_subtract"}
    assert sm.LIF(tau_mem=0.0, tau_syn=0.0).features() == {"tau_mem_zero", "reset_zero",
                                                           "tau_syn_zero"}
    assert sm.ALIF(refractory=2).features() == {"lif", "alif", "reset_zero", "refractory"}
    assert sm.LIF(tau_mem=0.0).beta(1.0) == 0.0 and sm.ALIF(tau_adapt=math.inf).rho(1.0) == 1.0


def test_alif_is_not_a_lif():
    """Code that accepts only LIF must not take an ALIF for one."""
    assert not isinstance(sm.ALIF(), sm.LIF) and isinstance(sm.ALIF(), CubaNeuron)
    assert sm.ALIF(beta_adapt=0.0) != sm.LIF()


@dataclasses.dataclass(frozen=True, eq=False)
class _Unlowered(CubaNeuron):
    """A model no target has in its lowering table (not registered: no kind)."""

    def features(self):
        return {"lif", "reset_zero"}  # features every target declares


@pytest.mark.parametrize("target", sm.targets())
def test_every_target_refuses_a_model_missing_from_its_table(target):
    net = sm.Network()
    net.source("in", 2)
    net.population("odd", 3, _Unlowered())
    net.connect("in", "odd", np.ones((2, 3)))
    net.record("odd", "spikes")
    options = {"mode": "numpy"} if target == "brian2" else {}
    with pytest.raises(UnsupportedFeatureError, match="_Unlowered.*'odd'"):
        sm.compile(net, target=target, **options).run(3)
