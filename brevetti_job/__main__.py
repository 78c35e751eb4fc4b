"""``python -m brevetti_job``: the `brevetti-job` command line."""

import sys

from ._cli import main

sys.exit(main())
