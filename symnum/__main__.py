"""``python -m symnum`` runs the ``symnum`` command (see :mod:`symnum.cli`)."""

from .cli import main

if __name__ == "__main__":  # pytest --doctest-modules imports this module too
    raise SystemExit(main())
