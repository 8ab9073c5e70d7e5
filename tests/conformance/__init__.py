"""Cross-target conformance suite: every catalogue network on every available target."""
