"""`python -m cli ...` (what ./tfx-text runs): the `tfx-text` command line."""

import sys

from cli.main import main

sys.exit(main())
