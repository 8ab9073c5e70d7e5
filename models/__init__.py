"""The memory models written in spikemem's model description, installed as spikemem.models."""
