"""`python -m builder <command> ...`: the headless command line, without Qt."""

import sys

from .cli import cli_main

sys.exit(cli_main())
