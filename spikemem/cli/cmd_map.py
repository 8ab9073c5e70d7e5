"""`spikemem map MODEL --chip NAME [--chips N] [--json]`: fit a model onto a chip and print
cores, utilisation, synapse memory, routing entries and quantisation error per projection."""
from __future__ import annotations

from ..hal.chips import chip_names
from ..hal.mapping import map_network
from .common import load_model


def add_parser(sub):
    p = sub.add_parser("map", help="map a model onto a neuromorphic chip (resources, quantisation)",
                       description=__doc__)
    p.add_argument("model", help="a .npz file written by Network.save, or a built-in name")
    p.add_argument("--chip", default="loihi2",
                   help=f"chip name ({', '.join(chip_names())}) or a chip .toml path")
    p.add_argument("--chips", type=int, default=1,
                   help="number of chips available (default 1; 0: as many as needed)")
    p.add_argument("--json", action="store_true", help="print the mapping as JSON")
    p.set_defaults(func=main)


def main(args) -> int:
    m = map_network(load_model(args.model), args.chip, chips=args.chips or None)
    print(m.to_json() if args.json else m)
    return 0
