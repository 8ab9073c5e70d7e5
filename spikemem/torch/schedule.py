"""Order of evaluation for time-batched simulation.

Populations are grouped into strongly connected components of the projection graph; the
groups come in topological order. A group is stepped through time on its own once every
group feeding it has been simulated for all steps, so input from sources and earlier groups
is known for the whole run and is computed in one product per projection.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def population_groups(net) -> list[list[str]]:
    """Strongly connected groups of populations (each in declaration order), upstream first."""
    names = list(net.populations)
    index = {name: k for k, name in enumerate(names)}
    edges = [(index[p.pre], index[p.post]) for p in net.projections.values()
             if p.pre in index]
    n = len(names)
    if n == 0:
        return []
    rows = np.array([a for a, _ in edges], dtype=np.int64)
    cols = np.array([b for _, b in edges], dtype=np.int64)
    graph = sp.csr_array((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    n_comp, label = connected_components(graph, directed=True, connection="strong")
    comp_edges = {(label[a], label[b]) for a, b in edges if label[a] != label[b]}
    indegree = np.zeros(n_comp, dtype=np.int64)
    for _, b in comp_edges:
        indegree[b] += 1
    # Kahn's algorithm; ties broken by the first population of each component
    first = {c: min(k for k in range(n) if label[k] == c) for c in range(n_comp)}
    ready = sorted((c for c in range(n_comp) if indegree[c] == 0), key=first.get)
    order = []
    while ready:
        c = ready.pop(0)
        order.append(c)
        for a, b in sorted(comp_edges):
            if a == c:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
                    ready.sort(key=first.get)
    return [[names[k] for k in range(n) if label[k] == c] for c in order]
