"""Numerical derivatives of sampled data along one axis, and a noise estimate.

Four methods, chosen per call or by ``method="auto"``:

* ``"fd"``: finite differences of a given accuracy order on any grid. Uniform
  axes use exact Fornberg weights (``sympy.finite_diff_weights``), centred in the
  interior and one-sided at the ends; non-uniform axes solve the same moment
  conditions point by point on the ``order + accuracy`` nearest samples.
* ``"savgol"``: a Savitzky–Golay filter (local least-squares polynomials), uniform axes.
* ``"spline"``: a smoothing cubic spline, regularisation by generalised cross
  validation (quintic, smoothed to the estimated noise, for orders 3–4); any grid.
* ``"spectral"``: the FFT derivative, periodic uniform axes only.

Examples
--------
>>> import numpy as np
>>> from symnum.discover.derivatives import differentiate
>>> x = np.linspace(0, 1, 41)
>>> bool(np.allclose(differentiate(x**3, x, order=2, method="fd"), 6 * x))
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import DataError

__all__ = ["differentiate", "estimate_noise", "choose_method", "savgol_window", "is_uniform",
           "METHODS"]

METHODS = ("auto", "fd", "savgol", "spline", "spectral")

#: relative noise (noise std / RMS of the data) above which ``"auto"`` smooths.
NOISE_THRESHOLD = 1e-4
#: the noise estimates of successive difference orders agree to this ratio on noisy data.
PLATEAU = 0.7
#: Savitzky–Golay polynomial order used when the window is chosen too.
AUTO_POLYORDER = 5


def differentiate(values, coord, order=1, axis=0, method="auto", periodic=False, window=None,
                  smoothing=None, *, accuracy=None, polyorder=None):
    """Derivative of order ``order`` of ``values`` along ``axis``, sampled at ``coord``.

    Parameters
    ----------
    values : array_like
        Samples; ``values.shape[axis] == len(coord)``.
    coord : array_like
        Strictly increasing 1-D coordinates of that axis.
    order : int
        Derivative order (0 returns a copy).
    axis : int
        Axis of ``values`` to differentiate along.
    method : {"auto", "fd", "savgol", "spline", "spectral"}
        ``"auto"``: see :func:`choose_method` (clean data get fourth-order finite
        differences, noisy data ``"savgol"`` on uniform axes, else ``"spline"``).
    periodic : bool
        The axis is periodic with period ``len(coord) * h`` (the end point is not
        repeated, as on symnum's periodic grids). Needs a uniform axis.
    window : int, optional
        Savitzky–Golay window length (odd). Default: :func:`savgol_window`, from
        the estimated noise level and smoothness of the data.
    smoothing : float, optional
        Spline smoothing. Orders 1–2 use a cubic smoothing spline and this is its
        ``lam`` (larger is smoother; default by generalised cross validation).
        Orders 3–4 use a quintic spline and this is FITPACK's bound ``s`` on the
        residual sum of squares (default ``1.5 * n * estimate_noise(...)**2``).
    accuracy : int, optional
        Accuracy order of ``"fd"`` (default 2; ``"auto"`` uses 4).
    polyorder : int, optional
        Savitzky–Golay polynomial order, at least ``order + 1``. Default 3 with a
        given ``window``; with a chosen one :data:`AUTO_POLYORDER` (5: less bias,
        so good over a wider range of windows), or 3 below 7 samples.

    Returns
    -------
    numpy.ndarray
        Same shape as ``values``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    >>> d = differentiate(np.sin(x), x, method="spectral", periodic=True)
    >>> float(np.abs(d - np.cos(x)).max()) < 1e-12
    True
    """
    v = np.asarray(values, dtype=float)
    c = _check_coord(coord, v, axis)
    axis = axis % v.ndim
    if not (isinstance(order, (int, np.integer)) and order >= 0):
        raise DataError(f"order must be a non-negative integer; got {order!r}.")
    if method not in METHODS:
        raise DataError(f"unknown derivative method {method!r}; choose one of {list(METHODS)}.")
    if order == 0:
        return v.copy()
    if method == "auto":
        method, opts = choose_method(v, c, axis, periodic)
        accuracy = accuracy if accuracy is not None else opts.get("accuracy")
    if method == "fd":
        return _fd(v, c, order, axis, 2 if accuracy is None else accuracy, periodic)
    if method == "savgol":
        return _savgol(v, c, order, axis, periodic, window, polyorder)
    if method == "spline":
        return _spline(v, c, order, axis, periodic, smoothing)
    return _spectral(v, c, order, axis, periodic)


def choose_method(values, coord, axis=0, periodic=False):
    """The method (and options) ``method="auto"`` uses for these samples.

    The data count as noisy when both (i) the estimated noise
    (:func:`estimate_noise`) exceeds :data:`NOISE_THRESHOLD` times the RMS of the
    data, and (ii) the per-order estimates have levelled off: the estimate from
    the highest difference order is at least :data:`PLATEAU` times the one below
    it. White noise gives the same estimate at every order, while what a smooth
    but coarsely or unevenly sampled signal leaves keeps shrinking with the
    order (by ``sin(w h / 2)`` per order for ``sin(w x)``: only modes with under
    about 4 samples per wavelength pass for noise). Clean data get finite
    differences of accuracy 4; noisy data ``"savgol"`` on uniform axes, else
    ``"spline"``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 50)
    >>> choose_method(np.exp(x), x)
    ('fd', {'accuracy': 4})
    >>> choose_method(np.exp(x) + np.random.default_rng(0).normal(0, 0.01, 50), x)
    ('savgol', {})
    """
    v = np.asarray(values, dtype=float)
    c = np.asarray(coord, dtype=float)
    uni = is_uniform(c)
    rms = float(np.sqrt(np.mean(v**2))) or 1.0
    if v.shape[axis] >= 7:
        levels = _noise_levels(v, axis, c)
        if (len(levels) >= 2 and min(levels) > NOISE_THRESHOLD * rms
                and levels[-1] >= PLATEAU * levels[-2]):
            return ("savgol", {}) if uni else ("spline", {})
    return ("fd", {"accuracy": 4})


def estimate_noise(values, axis=0, coord=None):
    """Standard deviation of white noise in ``values``, from high-order differences.

    On a uniform axis the ``k``-th difference of independent noise of std ``s`` has
    std ``s * sqrt(binom(2k, k))`` while that of a smooth, well-resolved signal is
    ``O(h**k)``. The RMS of the 3rd to 6th differences gives one estimate per
    ``k``; the smallest is returned, since what the signal leaves in the
    differences only adds to the noise. On a non-uniform axis (``coord`` given)
    the differences are replaced by the residuals of interpolating each sample
    from its 4, 6 or 8 neighbours. With a few hundred samples the estimate is
    within about 10 % (one standard deviation); outliers inflate it.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 2 * np.pi, 2000)
    >>> y = np.sin(x) + np.random.default_rng(1).normal(0, 0.05, x.size)
    >>> round(estimate_noise(y), 2)
    0.05
    """
    levels = _noise_levels(values, axis, coord)
    return float(min(levels)) if levels else 0.0


def _noise_levels(values, axis=0, coord=None):
    """The noise estimates of :func:`estimate_noise`, one per difference order (low to high)."""
    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    n, out = v.shape[0], []
    if coord is None or is_uniform(np.asarray(coord, dtype=float)):
        for k in range(3, 7):
            if n > k + 2:
                d = np.diff(v, n=k, axis=0)
                out.append(np.sqrt(np.mean(d**2) / float(sp.binomial(2 * k, k))))
    else:
        c = np.asarray(coord, dtype=float)
        for k in (2, 3, 4):
            if n > 2 * k + 2:
                rows = np.arange(k, n - k)
                idx = rows[:, None] + np.delete(np.arange(-k, k + 1), k)[None, :]
                w = _local_weights(c[rows], c[idx], 0)
                r = (v[rows] - np.einsum("nm,nm...->n...", w, v[idx])).reshape(rows.size, -1)
                r /= np.sqrt(1 + np.sum(w**2, axis=1))[:, None]
                out.append(np.sqrt(np.mean(r**2)))
    return [float(e) for e in out if np.isfinite(e)]


# -- checks -------------------------------------------------------------------
def _check_coord(coord, v, axis):
    c = np.asarray(coord, dtype=float)
    if c.ndim != 1:
        raise DataError(f"coord must be 1-D; got shape {c.shape}.")
    if not -v.ndim <= axis < v.ndim:
        raise DataError(f"axis={axis} is out of range for values of shape {v.shape}.")
    if v.shape[axis] != c.size:
        raise DataError(f"values have {v.shape[axis]} samples along axis {axis} but coord has "
                        f"{c.size}; pass the coordinates of that axis.")
    if not np.all(np.isfinite(c)) or np.any(np.diff(c) <= 0):
        raise DataError("coord must be finite and strictly increasing (sorted, no repeats); "
                        "sort the samples first.")
    return c


def _need(n, m, order, method, hint):
    if n < m:
        raise DataError(f"a derivative of order {order} with method={method!r} needs at least {m} "
                        f"points along the axis; got {n}. {hint}")


def is_uniform(c, rtol=1e-6):
    """Whether the 1-D coordinates ``c`` are equally spaced (relative tolerance ``rtol``)."""
    h = np.diff(c)
    return h.size > 0 and bool(np.all(np.abs(h - h.mean()) <= rtol * abs(h.mean())))


def _need_uniform(c, method, alternatives):
    if not is_uniform(c):
        raise DataError(f"method={method!r} needs a uniform grid along this axis (spacing varies "
                        f"from {np.diff(c).min():.3g} to {np.diff(c).max():.3g}); use {alternatives}.")


# -- finite differences -------------------------------------------------------
@lru_cache(maxsize=256)
def _weights(offsets, order):
    """Exact Fornberg weights of the derivative ``order`` at 0 on integer ``offsets``."""
    w = sp.finite_diff_weights(order, [sp.Integer(o) for o in offsets], 0)[order][-1]
    return np.array([float(x) for x in w])


def _fd(v, c, order, axis, accuracy, periodic):
    if not (isinstance(accuracy, (int, np.integer)) and accuracy >= 1):
        raise DataError(f"accuracy must be a positive integer; got {accuracy!r}.")
    n = c.size
    uni = is_uniform(c)
    centred = 2 * ((order + 1) // 2) - 1 + accuracy + (accuracy % 2)  # odd, symmetric
    edge = order + accuracy
    x = np.moveaxis(v, axis, 0)
    if periodic:
        _need_uniform(c, "fd", "periodic=False")
        _need(n, centred, order, "fd", "Use fewer derivatives or a lower accuracy.")
        offs = np.arange(centred) - centred // 2
        w = _weights(tuple(offs), order) / (c[1] - c[0]) ** order
        out = sum(wk * np.roll(x, -o, axis=0) for wk, o in zip(w, offs))
        return np.moveaxis(out, 0, axis)
    _need(n, edge, order, "fd", "Lower accuracy= or take more samples.")
    m = max(centred if uni else edge, edge)
    idx = np.zeros((n, m), dtype=int)
    W = np.zeros((n, m))
    for i in range(n):
        size = centred if uni and centred // 2 <= i < n - centred // 2 else edge
        start = min(max(i - size // 2, 0), n - size)
        idx[i, :size] = np.arange(start, start + size)
        if uni:
            W[i, :size] = _weights(tuple(range(start - i, start - i + size)), order)
    if uni:
        W /= (c[1] - c[0]) ** order
    else:
        W[:, :edge] = _local_weights(c, c[idx[:, :edge]], order)
    out = np.einsum("nm,nm...->n...", W, x[idx])
    return np.moveaxis(out, 0, axis)


def _local_weights(z, nodes, order):
    """Weights at points ``z`` (r,) on ``nodes`` (r, m) from the moment conditions, scaled."""
    d = nodes - z[:, None]
    h = np.abs(d).max(axis=1, keepdims=True)
    q = np.arange(nodes.shape[1])
    fact = np.array([float(sp.factorial(k)) for k in q])
    A = (d / h)[:, None, :] ** q[None, :, None] / fact[None, :, None]
    rhs = np.zeros(nodes.shape)
    rhs[:, order] = 1.0
    return np.linalg.solve(A, rhs[..., None])[..., 0] / h**order


# -- smoothing methods --------------------------------------------------------
def _savgol(v, c, order, axis, periodic, window, polyorder):
    from scipy.signal import savgol_filter

    _need_uniform(c, "savgol", 'method="spline" or method="fd"')
    n = c.size
    if polyorder is not None and not (isinstance(polyorder, (int, np.integer)) and polyorder >= 1):
        raise DataError(f"polyorder must be a positive integer; got {polyorder!r}.")
    if polyorder is None:  # a chosen window can afford the less biased order 5
        polyorder = AUTO_POLYORDER if window is None and n >= AUTO_POLYORDER + 2 else 3
    poly = max(int(polyorder), order + 1)
    _need(n, poly + 2, order, "savgol", "Take more samples or use method='fd'.")
    if window is None:
        window = savgol_window(v, c, order, axis, poly)
    if not (isinstance(window, (int, np.integer)) and window % 2 == 1 and window > poly):
        raise DataError(f"window must be an odd integer larger than the polynomial order {poly}; "
                        f"got {window!r}.")
    _need(n, window, order, "savgol", "Pass a smaller window= or use method='fd'.")
    return savgol_filter(v, window, poly, deriv=order, delta=c[1] - c[0], axis=axis,
                         mode="wrap" if periodic else "interp")


def savgol_window(values, coord, order=1, axis=0, polyorder=AUTO_POLYORDER, noise=None):
    """The Savitzky–Golay window ``method="savgol"`` uses when none is given.

    A bias-variance rule for a derivative of order ``d`` that will be used as a
    regressor (as in SINDy): a systematic error ``e`` shifts a fitted coefficient
    by about ``e / G`` (relative), zero-mean noise of variance ``V`` attenuates it
    by about ``V / G**2`` (errors in variables), ``G`` the RMS of ``f^(d)``. The
    odd window ``W`` minimises their sum::

        risk(W) = |b_W| * F_q / G + sigma**2 * sum(w_W**2) / G**2

    ``w_W``: the filter weights (polynomial order ``p = max(polyorder, d + 1)``);
    ``sigma``: the noise std (:func:`estimate_noise` unless ``noise`` is given).
    The filter is exact on degree ``p`` and, by symmetry, on the next degree of
    the wrong parity, so its leading error is ``b_W f^(q)``, ``q`` the least
    degree above ``p`` with ``q - d`` even, ``b_W = sum_i w_i (i h)**q / q!``.
    ``F_q`` and ``G``: RMS of ``k``-th differences at stride ``s`` (noise part
    ``sigma**2 binom(2k, k)`` subtracted) over ``(s h)**k``, ``s = 1, 2, 4, ...``
    until the signal part is 4 times the noise part. Clean data get the
    narrowest window; more noise or a smoother signal widen it (the plain mean
    squared error picks windows about twice as wide, too wide for SINDy on
    Burgers). Cost: a few difference passes and one small least-squares fit
    per candidate window, up to ``min(n, 4 * p + 7 + n // 4)`` wide.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 2 * np.pi, 400)
    >>> y = np.sin(x) + np.random.default_rng(0).normal(0, 0.01, x.size)
    >>> savgol_window(np.sin(x), x), savgol_window(y, x, polyorder=3) > 11
    (7, True)
    """
    from scipy.signal import savgol_coeffs

    v = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    c = np.asarray(coord, dtype=float)
    n, h = c.size, (c[-1] - c[0]) / (c.size - 1)
    p = max(int(polyorder), order + 1)
    q = p + 1 if (p + 1 - order) % 2 == 0 else p + 2
    sigma = estimate_noise(v, 0) if noise is None else float(noise)
    smallest = p + 2 - (p + 1) % 2
    if sigma <= 0 or n <= smallest:
        return min(smallest, n - 1 + n % 2)
    F, G = _rms_derivative(v, h, q, sigma), _rms_derivative(v, h, order, sigma)
    if G <= 0:
        return smallest
    top = min(n - 1 + n % 2, 4 * (p + 1) + 3 + n // 4)
    best, best_risk = smallest, np.inf
    for W in range(smallest, top + 1, 2):
        w = savgol_coeffs(W, p, deriv=order, delta=h, use="dot")
        i = (np.arange(W) - W // 2) * h
        bias = abs(float(w @ i**q)) / float(sp.factorial(q)) * F
        risk = bias / G + sigma**2 * float(w @ w) / G**2
        if risk < best_risk:
            best, best_risk = W, risk
    return best


def _rms_derivative(v, h, q, sigma):
    """RMS of the ``q``-th derivative of the signal in ``v`` (axis 0, step ``h``, noise std
    ``sigma``), from strided differences (see :func:`savgol_window`)."""
    n = v.shape[0]
    noise = sigma**2 * float(sp.binomial(2 * q, q))
    coef = [(-1) ** (q - j) * float(sp.binomial(q, j)) for j in range(q + 1)]
    s, out = 1, 0.0
    while q * s < n:
        m = n - q * s
        d = sum(cj * v[j * s:j * s + m] for j, cj in enumerate(coef))
        signal = float(np.mean(d**2)) - noise
        out = np.sqrt(max(signal, 0.0)) / (s * h) ** q
        if signal >= 4 * noise or 2 * q * s >= n:
            break
        s *= 2
    return float(out)


def _spline(v, c, order, axis, periodic, smoothing):
    from scipy.interpolate import UnivariateSpline, make_smoothing_spline

    n = c.size
    _need(n, 5 if order <= 2 else 7, order, "spline", "Take more samples or use method='fd'.")
    if order > 4:
        raise DataError(f"method='spline' gives derivatives up to order 4; got order={order}. "
                        "Use method='fd' or 'savgol'.")
    x, y, keep = c, np.moveaxis(v, axis, 0), slice(None)
    if periodic:  # pad with a wrapped copy so that the ends see their neighbours
        _need_uniform(c, "spline with periodic=True", "periodic=False")
        p, L = n // 3 + 1, n * (c[1] - c[0])
        x = np.concatenate([c[-p:] - L, c, c[:p] + L])
        y = np.concatenate([y[-p:], y, y[:p]])
        keep = slice(p, p + n)
    if order <= 2:
        d = make_smoothing_spline(x, y, lam=smoothing).derivative(order)(x)
    else:
        # a cubic spline's third derivative is piecewise constant: use a quintic
        # FITPACK spline whose residual is bounded by s = 1.5 n sigma^2 (sigma from
        # estimate_noise; the margin guards against an underestimate, which overfits)
        flat = y.reshape(x.size, -1)
        s = smoothing
        if s is None:
            s = 1.5 * x.size * estimate_noise(v, axis, None if is_uniform(c) else c) ** 2
        d = np.stack([UnivariateSpline(x, col, k=5, s=s).derivative(order)(x) for col in flat.T],
                     axis=1).reshape(y.shape)
    return np.moveaxis(d[keep], 0, axis)


def _spectral(v, c, order, axis, periodic):
    if not periodic:
        raise DataError("method='spectral' needs a periodic axis: pass periodic=True (the grid "
                        "must not repeat the end point), or use method='fd'.")
    _need_uniform(c, "spectral", 'method="fd"')
    n = c.size
    _need(n, 4, order, "spectral", "Take more samples.")
    k = 2j * np.pi * np.fft.fftfreq(n, d=c[1] - c[0])
    if n % 2 == 0 and order % 2 == 1:
        k[n // 2] = 0.0  # the Nyquist mode has no well-defined odd derivative
    shape = [1] * v.ndim
    shape[axis] = n
    return np.real(np.fft.ifft(np.fft.fft(v, axis=axis) * (k**order).reshape(shape), axis=axis))
