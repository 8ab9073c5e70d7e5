"""Saving and loading networks: `spikemem.load(path)` and `save(net, path)` (the same as
`net.save(path)`). The file format is in spikemem.model.archive (no pickle, atomic writes,
versioned); the network's description in spikemem.model.codec."""
from __future__ import annotations

from ..errors import ModelError, ModelFileError
from . import archive
from .network import Network


def save(net: Network, path) -> None:
    """Write `net` to `path` atomically."""
    net.save(path)


def load(path) -> Network:
    """Read a network written by Network.save. Raises ModelFileError for foreign files."""
    header, arrays = archive.read(path)
    try:
        return Network.from_arrays(header, arrays)
    except ModelFileError:
        raise
    except ModelError as e:
        raise ModelFileError(f"{str(path)!r}: {e}") from None
    except (KeyError, TypeError, IndexError, ValueError) as e:
        raise ModelFileError(f"{str(path)!r}: the model file is incomplete or inconsistent "
                             f"({type(e).__name__}: {e})") from None
