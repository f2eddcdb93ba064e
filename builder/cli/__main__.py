"""`python -m builder.cli <command> ...`, the same as `convcanvas <command> ...`."""

import sys

from .main import main

sys.exit(main())
