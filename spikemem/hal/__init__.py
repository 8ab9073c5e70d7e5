"""Hardware-abstraction layer: chip descriptions, mapping, quantisation plans, energy and
reports (see docs/hardware.md). The fixed-point emulators that run the plans are targets
(spikemem/targets/loihi2, spinnaker, fixed); nothing here imports a target."""
