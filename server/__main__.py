"""``python -m server ...`` runs the same CLI as ``iop-server``."""

import sys

from .cli import main

sys.exit(main())
