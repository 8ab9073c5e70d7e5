"""`spikemem export MODEL --format nir OUT.nir`: write a model in an interchange format.

MODEL is a .npz file written by Network.save or a built-in name (spikemem.networks.BUILTIN).
NIR (HDF5, read by snnTorch, Norse, Sinabs, Rockpool, Lava-dl, ...): see docs/interop/nir.md.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from ..files import atomic_path
from .common import load_model

FORMATS = ("nir",)


def add_parser(sub):
    p = sub.add_parser("export", help="write a model as a NIR graph (.nir, HDF5)",
                       description=__doc__)
    p.add_argument("model", help="a .npz file written by Network.save, or a built-in name")
    p.add_argument("out", help="output file (e.g. model.nir)")
    p.add_argument("--format", default="nir", choices=FORMATS, help="output format (nir)")
    p.add_argument("--dt", type=float, default=None,
                   help="the reader's time step in seconds (default: the model's dt; "
                        "snnTorch reads with 1e-4)")
    p.add_argument("--lossy", action="store_true",
                   help="drop what NIR cannot express (listed) instead of refusing")
    p.add_argument("--outputs", default=None,
                   help="comma-separated populations/sources the graph returns, in order "
                        "(default: those with spike or count probes)")
    p.set_defaults(func=main)


def main(args) -> int:
    import warnings

    try:
        import nir
    except ImportError:
        raise ModelError("export --format nir needs the nir package: "
                         "pip install 'spikemem[nir]'") from None
    from ..export.to_nir import export_nir

    net = load_model(args.model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the losses are printed below
        outputs = None if args.outputs is None else [x.strip() for x in args.outputs.split(",")
                                                      if x.strip()]
        graph = export_nir(net, lossy=args.lossy, dt=args.dt, outputs=outputs)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ModelError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist")
    with atomic_path(out) as tmp:
        nir.write(tmp, graph)
    print(f"wrote {out}: {len(graph.nodes)} NIR nodes, {len(graph.edges)} edges, "
          f"dt = {graph.metadata['dt']} s")
    if "leaves" in graph.metadata:
        print(f"note: {graph.metadata['leaves']}")
    if "dropped" in graph.metadata:
        print("dropped (NIR cannot express them):")
        for item in graph.metadata["dropped"].split("; "):
            print(f"  - {item}")
    return 0
