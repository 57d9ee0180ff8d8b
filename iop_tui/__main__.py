"""``python -m iop_tui ...`` runs the same CLI as ``iop-tui``."""

import sys

from .cli import main

sys.exit(main())
