"""PROSE-style symbol encoding of ODE systems (prefix tokens, no torch): see :mod:`.tokens`."""
