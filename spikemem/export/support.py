"""What an exporter can write, as data: each format declares an explicit frozenset of feature
names (spikemem.model.features.FEATURES) and refuses a network using any other, by name."""
from __future__ import annotations

from ..errors import UnsupportedFeatureError
from ..model.features import FEATURES, network_features


def check_writable(net, writable: frozenset, fmt: str, advice: str) -> None:
    """Raise UnsupportedFeatureError naming each feature of `net` outside `writable`;
    `fmt` names the format ("NIR export"), `advice` says what to do instead."""
    missing = sorted(network_features(net) - writable)
    if missing:
        lines = ", ".join(f"{f} ({FEATURES[f]})" for f in missing)
        raise UnsupportedFeatureError(f"{fmt} cannot express: {lines}. {advice}")
