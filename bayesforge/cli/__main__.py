"""``python -m bayesforge.cli``: the ``bayesforge`` command."""
import sys

from bayesforge.cli import main

sys.exit(main())
