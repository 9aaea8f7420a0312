"""``python -m bayesforge``: the ``bayesforge`` command (``python -m bayesforge gmm data.csv``)."""
import sys

from bayesforge.cli import main

sys.exit(main())
