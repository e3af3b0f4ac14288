"""The array namespace of an input: NumPy, or a thin torch adapter (torch imported only then).

The adaptive engine is written once against the few operations here, so the
same loop runs on NumPy arrays and on torch tensors (CPU or GPU, with
autograd). Arithmetic (``+``, ``*``, ``/``) is used directly on the arrays;
only the calls that differ between the libraries go through the namespace.

Examples
--------
>>> import numpy as np
>>> xp = namespace(np.ones(3))
>>> xp.name, float(xp.rms(np.full(4, 2.0))), xp.all_finite(np.array([1.0, np.inf]))
('numpy', 2.0, False)
"""

from __future__ import annotations

import numpy as np

__all__ = ["namespace", "NumpyNamespace", "TorchNamespace"]


class NumpyNamespace:
    """NumPy operations used by the engine."""

    name = "numpy"

    @staticmethod
    def asarray(x, like):
        return np.asarray(x, dtype=like.dtype)

    @staticmethod
    def abs(x):
        return np.abs(x)

    @staticmethod
    def maximum(x, y):
        return np.maximum(x, y)

    @staticmethod
    def rms(x):
        """Root mean square of all entries (a 0-d array)."""
        return np.sqrt(np.mean(x * x))

    @staticmethod
    def norm(x):
        """Euclidean norm of all entries."""
        return np.sqrt(np.sum(x * x))

    @staticmethod
    def all_finite(x) -> bool:
        return bool(np.all(np.isfinite(x)))

    @staticmethod
    def scalar(x) -> float:
        """A Python float of a 0-d value (for step-size decisions, which are not differentiated)."""
        return float(x)

    @staticmethod
    def stack(xs):
        return np.stack(xs)

    @staticmethod
    def to_numpy(x):
        return np.asarray(x)

    @staticmethod
    def take(x, index):
        """Rows ``x[index]`` for an integer NumPy index array."""
        return x[index]


class TorchNamespace:
    """The same operations on torch tensors (device and autograd preserved)."""

    name = "torch"

    def __init__(self):
        import torch  # only when a tensor was passed in

        self.torch = torch

    def asarray(self, x, like):
        return self.torch.as_tensor(x, dtype=like.dtype, device=like.device)

    def abs(self, x):
        return self.torch.abs(x)

    def maximum(self, x, y):
        return self.torch.maximum(x, y)

    def rms(self, x):
        return self.torch.sqrt(self.torch.mean(x * x))

    def norm(self, x):
        return self.torch.sqrt(self.torch.sum(x * x))

    def all_finite(self, x) -> bool:
        return bool(self.torch.isfinite(x).all())

    @staticmethod
    def scalar(x) -> float:
        return float(x.detach())

    def stack(self, xs):
        return self.torch.stack(list(xs))

    @staticmethod
    def to_numpy(x):
        return x.detach().cpu().numpy()

    def take(self, x, index):
        return x[self.torch.as_tensor(index, device=x.device, dtype=self.torch.long)]


_NUMPY = NumpyNamespace()
_TORCH = None


def namespace(x):
    """NumPy's namespace for arrays and scalars, the torch adapter for ``torch.Tensor``.

    The check reads the type's module name, so torch is never imported here
    unless the caller already holds a tensor.
    """
    global _TORCH
    if type(x).__module__.split(".")[0] == "torch":
        if _TORCH is None:
            _TORCH = TorchNamespace()
        return _TORCH
    return _NUMPY
