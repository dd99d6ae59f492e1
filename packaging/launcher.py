"""The bundle's entry point: the same ``main`` as ``python -m chatapp``."""

import sys

from chatapp.cli import main

if __name__ == "__main__":
    sys.exit(main())
