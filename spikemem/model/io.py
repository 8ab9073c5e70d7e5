"""Saving and loading networks: `spikemem.load(path)` and `save(net, path)` (the same as
`net.save(path)`). The file format is in spikemem.model.archive (no pickle, atomic writes,
versioned, sizes checked before reading); the network's description in spikemem.model.codec."""
from __future__ import annotations

from ..errors import ModelError, ModelFileError
from . import archive
from .network import Network


def save(net: Network, path) -> None:
    """Write `net` to `path` atomically."""
    net.save(path)


def load(path, *, max_bytes: float | None = None) -> Network:
    """Read a network written by Network.save. Raises ModelFileError for foreign, damaged
    or inconsistent files. max_bytes: the most bytes of arrays to read (default: this
    machine's memory); a file needing more is refused before its arrays are inflated."""
    with archive.open_file(path, max_bytes) as (header, arrays):
        try:
            return Network.from_arrays(header, arrays)
        except ModelFileError:
            raise
        except ModelError as e:
            raise ModelFileError(f"{str(path)!r}: {e}") from None
        except (KeyError, TypeError, IndexError, ValueError, AttributeError,
                OverflowError) as e:
            raise ModelFileError(f"{str(path)!r}: the model file is incomplete or inconsistent "
                                 f"({type(e).__name__}: {e})") from None
