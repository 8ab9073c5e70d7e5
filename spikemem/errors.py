"""Errors raised by spikemem. Every message names the object at fault and the fix."""


class ModelError(ValueError):
    """A network, input or file that spikemem cannot accept as given."""


class UnsupportedFeatureError(ModelError):
    """A target cannot express a feature of the network; raised at compile time."""


class ModelFileError(ModelError):
    """A file that is not a spikemem model, or one of an unknown format version."""


class MappingError(ModelError):
    """A network that does not fit the resources of a chip."""
