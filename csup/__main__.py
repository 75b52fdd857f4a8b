"""``python -m csup``: the same as the ``csup`` command."""

import sys

from csup._entry import main

sys.exit(main())
