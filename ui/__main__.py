"""`python -m ui [file.json]`: the same as the `convcanvas` command."""

import sys

from .launcher import main

sys.exit(main())
