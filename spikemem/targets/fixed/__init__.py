"""What the fixed-point targets (loihi2, spinnaker) share: their simulation on the shared step
loop with an int64 arrival ring and static synapse groups (simulation.py), plastic
projections in integer weight units (plastic.py) and the s16.15 arithmetic (s1615.py)."""
