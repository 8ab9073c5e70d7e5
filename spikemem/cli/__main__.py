"""`python -m spikemem.cli` runs the spikemem command."""
import sys

from . import main

sys.exit(main())
