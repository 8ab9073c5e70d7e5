"""A NIR graph as flat data for the importer: loading, subgraphs inlined, plain metadata.

`read_graph(graph_or_path)` gives (nodes {name: nir node}, edges [(src, dst)], metadata);
nested NIRGraph nodes are inlined as 'outer.inner', their Input/Output nodes replaced by
`Pass` nodes that hand their input on.
"""
from __future__ import annotations

from inspect import signature
from pathlib import Path

import numpy as np

from ..errors import ModelError, ModelFileError


class Pass:
    """The Input/Output node of an inlined subgraph: passes its input through."""


def read_graph(graph_or_path):
    """(nodes, edges, metadata) of a nir.NIRGraph or of the path of a .nir file."""
    graph = _load(graph_or_path)
    meta = plain_dict(getattr(graph, "metadata", {}) or {})
    nodes, edges = _flatten(graph)
    if meta.get("producer") == "spikemem":
        nodes, edges = _drop_inferred(nodes, edges)
    return nodes, edges, meta


def _load(graph_or_path):
    import nir

    if isinstance(graph_or_path, (str, Path)):
        path = Path(graph_or_path)
        if not path.is_file():
            raise ModelFileError(f"NIR file {str(path)!r} does not exist")
        # no type check: it would add Input/Output nodes (nir 1.0.6's read has no such option)
        kw = {"type_check": False} if "type_check" in signature(nir.read).parameters else {}
        try:
            return nir.read(path, **kw)
        except Exception as e:  # h5py, KeyError and nir's asserts: all mean a foreign file
            raise ModelFileError(f"{str(path)!r} is not a readable NIR graph file "
                                 f"({type(e).__name__}: {e})") from None
    if isinstance(graph_or_path, nir.NIRGraph):
        return graph_or_path
    raise ModelError(f"import_nir needs a nir.NIRGraph or the path of a .nir file, got "
                     f"{type(graph_or_path).__name__}")


def plain(x):
    """NIR/HDF5 metadata values as Python values (bytes -> str, 0-d arrays -> scalars)."""
    if isinstance(x, bytes):
        return x.decode("utf8")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return plain(x[()])
    if isinstance(x, np.generic):
        return x.item()
    return x


def plain_dict(d) -> dict:
    return {k: plain(v) for k, v in dict(d).items()}


def _flatten(graph, prefix: str = ""):
    """(nodes, edges) with subgraphs inlined as 'sub.node'; their Input/Output pass through."""
    import nir

    nodes, edges, ports = {}, [], {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, full + ".")
            ins = [k for k, v in node.nodes.items() if isinstance(v, nir.Input)]
            outs = [k for k, v in node.nodes.items() if isinstance(v, nir.Output)]
            if len(ins) != 1 or len(outs) != 1:
                raise ModelError(f"NIR subgraph {full!r} has {len(ins)} Input and {len(outs)} "
                                 "Output nodes; spikemem inlines subgraphs with one of each")
            for k in (ins[0], outs[0]):
                sub_nodes[f"{full}.{k}"] = Pass()
            ports[name] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
            nodes.update(sub_nodes)
            edges += sub_edges
        else:
            nodes[full] = node
    for edge in graph.edges:
        if len(edge) != 2:
            raise ModelError(f"NIR graph edge {edge!r} is not a (source, target) pair")
        a, b = str(edge[0]), str(edge[1])
        src = ports[a][1] if a in ports else prefix + a
        dst = ports[b][0] if b in ports else prefix + b
        edges.append((src, dst))
    return nodes, edges


def _drop_inferred(nodes, edges):
    """Drop the Input/Output nodes that nir's type inference adds to a spikemem graph
    (spikemem marks its own: Input metadata 'source', Output metadata 'probes' or, in files
    of spikemem 0.1, 'variable')."""
    import nir

    def own_output(meta):
        return "probes" in meta or "variable" in meta

    drop = {k for k, v in nodes.items()
            if (isinstance(v, nir.Input) and "source" not in v.metadata)
            or (isinstance(v, nir.Output) and not own_output(v.metadata))}
    return ({k: v for k, v in nodes.items() if k not in drop},
            [(a, b) for a, b in edges if a not in drop and b not in drop])
