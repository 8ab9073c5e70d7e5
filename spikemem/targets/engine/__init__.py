"""The array-engine family shared by the numpy, torch and fixed-point targets: the
spike-vector layout (layout.py), the step order written once (loop.py), and a plasticity
rule's terms evaluated per synapse (rule_terms.py)."""
