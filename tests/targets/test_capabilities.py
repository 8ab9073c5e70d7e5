"""Target capabilities are explicit opt-in sets of the names in FEATURES: every feature is
declared by some target, and no target declares a name FEATURES does not define."""
import pytest

from spikemem.model.features import FEATURES
from spikemem.targets import TARGET_MODULES, all_specs


def test_every_feature_is_declared_by_some_target():
    declared = set().union(*(s.capabilities for s in all_specs()))
    assert not set(FEATURES) - declared, \
        f"features no target declares: {sorted(set(FEATURES) - declared)}"


@pytest.mark.parametrize("target_spec", all_specs(), ids=lambda s: s.name)
def test_target_declares_only_known_features(target_spec):
    assert isinstance(target_spec.capabilities, frozenset)
    unknown = set(target_spec.capabilities) - set(FEATURES)
    assert not unknown, f"{target_spec.name} declares unknown features {sorted(unknown)}"


def test_every_registered_target_has_a_spec():
    assert [s.name for s in all_specs()] == list(TARGET_MODULES)
