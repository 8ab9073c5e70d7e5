"""`python -m spikemem` runs the spikemem command."""
import sys

from .cli import main

sys.exit(main())
