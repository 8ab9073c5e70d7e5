"""Hardware-abstraction layer: chip descriptions, mapping, quantisation, energy, fixed-point
emulators (see docs/hardware.md)."""
