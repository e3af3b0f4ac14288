"""Test functions of weak SINDy: polynomial bumps on a lattice, as quadrature matrices.

One axis at a time. A bump of half-width ``H`` centred at ``c`` is
``φ(y) = (1 - s²)^p`` with ``s = (y - c) / H`` for ``|s| < 1``, and 0 outside; it
and its first ``p - 1`` derivatives vanish at the edge of its support, so
``∫ φ ∂^k g = (-1)^k ∫ φ^(k) g`` with no boundary terms for ``k < p``.

:func:`bump_matrices` returns, for each derivative order ``k``, the matrix
``A^(k)`` (n_centres, n_points) with ``A^(k)[j, i] = (-1)^k w_i φ_j^(k)(y_i)``
and ``w`` the trapezoid weights of the actual (possibly non-uniform) grid, so
that ``A^(k) @ g ≈ ∫ φ_j ∂^k g``. With ``quadrature="spline"`` the samples are
instead interpolated by a cubic spline and the bumps integrated exactly against
it: fourth-order on any grid, and no need for many samples per bump (few or
irregular time snapshots, see :func:`time_test_functions`).

:func:`auto_halfwidth` picks ``H`` from the data's spectrum along the axis (see
its docstring for the rule and why).

Examples
--------
>>> import numpy as np
>>> y = np.linspace(0.0, 1.0, 201)
>>> a0, a1 = bump_matrices(y, halfwidth=0.2, n_centres=5, p=4, max_order=1)
>>> a0.shape
(5, 201)
>>> bool(np.allclose(a1 @ np.sin(3 * y), a0 @ (3 * np.cos(3 * y)), atol=1e-6))
True
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import Polynomial

from ..errors import DataError

__all__ = ["trapezoid_weights", "bump_matrices", "auto_halfwidth", "default_centres",
           "time_test_functions", "MIN_POINTS_PER_STD", "MIN_TIME_SAMPLES", "MIN_SUPPORT_SAMPLES",
           "ODE_RESOLVED", "ODE_SPECTRAL_FRACTION"]

#: the bump's standard deviation ``H / sqrt(2p + 3)`` spans at least this many grid spacings,
#: so that the trapezoid rule resolves it.
MIN_POINTS_PER_STD = 2.5
#: fewest time samples the weak form works with (a few bumps of a few samples each).
MIN_TIME_SAMPLES = 5
#: on a coarse time axis (spline quadrature) every support holds at least this many samples
#: strictly inside; a bump over a wider gap sees only the spline's guess and is dropped.
MIN_SUPPORT_SAMPLES = 3
#: spline quadrature: a bump whose support has a gap wider than MAX_GAP * halfwidth between
#: samples mostly integrates the spline's guess; it is dropped, unless that drops more than
#: 1 - MIN_KEEP of the bumps (then every record is that coarse and all are kept). Measured on
#: KdV, Kuramoto-Sivashinsky and FitzHugh-Nagumo at 25 % sampling (50 of 201 snapshots):
#: without the filter they came out wrong or 17-30 % off, with it exact within 1-5 %.
MAX_GAP = 0.75
MIN_KEEP = 0.25
#: spline quadrature: the half-width is at most this many mean spacings, so that a bump over a
#: badly interpolated stretch spoils few rows (FitzHugh-Nagumo at 25 % sampling needed <= 3;
#: a wider one averages more noise: Allen-Cahn at 5 % noise wanted >= 2.5).
SPLINE_SPACINGS = 2.5
#: signal energy fraction that the test functions must pass (see :func:`auto_halfwidth`).
ENERGY = 0.9
#: ODE records (no space axes) with spline quadrature: when the spectral bump's standard
#: deviation spans at least ODE_RESOLVED mean spacings, the half-width follows the spectrum
#: (times ODE_SPECTRAL_FRACTION) instead of the SPLINE_SPACINGS cap; see
#: :func:`time_test_functions`.
ODE_RESOLVED = 6.0
ODE_SPECTRAL_FRACTION = 0.5


def trapezoid_weights(y):
    """Weights ``w`` with ``w @ g`` the trapezoid rule for ``∫ g`` on the points ``y``.

    Examples
    --------
    >>> trapezoid_weights(np.array([0.0, 1.0, 3.0])).tolist()
    [0.5, 1.5, 1.0]
    """
    y = np.asarray(y, dtype=float)
    d = np.diff(y)
    w = np.zeros_like(y)
    w[:-1] += d / 2
    w[1:] += d / 2
    return w


def default_centres(y, halfwidth):
    """Number of centres: neighbours half a half-width apart (supports overlap by 3/4).

    Examples
    --------
    >>> default_centres(np.linspace(0, 1, 101), 0.1)
    17
    """
    span = float(y[-1] - y[0]) - 2 * halfwidth
    return max(1, int(math.floor(span / (halfwidth / 2) + 1e-9)) + 1)


def bump_matrices(y, halfwidth, n_centres, p, max_order, quadrature="trapezoid", min_inside=0):
    """Weighted values of the bumps and their derivatives: ``[A^(0), ..., A^(max_order)]``.

    Centres are evenly spaced so that the first and last supports touch the ends of ``y``.

    Parameters
    ----------
    y : ndarray
        Sorted grid points of one axis.
    halfwidth : float
        Half-width ``H`` of every support, in the units of ``y``.
    n_centres : int
        Number of bumps.
    p : int
        Exponent of ``(1 - s²)^p``; must exceed ``max_order``.
    max_order : int
        Highest derivative order moved onto the test function.
    quadrature : {"trapezoid", "spline"}
        ``"trapezoid"``: ``w_i φ^(k)(y_i)`` with trapezoid weights ``w``.
        ``"spline"``: ``∫ φ^(k) S[g]`` exactly (Gauss-Legendre between the knots and
        the support's ends), ``S`` the not-a-knot cubic spline through the samples.
    min_inside : int
        Bumps with fewer samples strictly inside their support are dropped (rows removed).

    Examples
    --------
    >>> y = np.sort(np.r_[0.0, 10.0, np.random.default_rng(0).uniform(0, 10, 8)])
    >>> a0, a1 = bump_matrices(y, 2.5, 4, 3, 1, quadrature="spline")
    >>> bool(np.allclose(a1 @ np.sin(y / 3), a0 @ (np.cos(y / 3) / 3), rtol=0, atol=0.02))
    True
    """
    y = np.asarray(y, dtype=float)
    lo, hi = y[0] + halfwidth, y[-1] - halfwidth
    centres = np.linspace(lo, hi, n_centres) if n_centres > 1 else np.array([(lo + hi) / 2])
    if min_inside:
        count = np.count_nonzero(np.abs(y[None, :] - centres[:, None]) < halfwidth, axis=1)
        gaps = np.array([np.diff(np.r_[c - halfwidth, y[np.abs(y - c) < halfwidth],
                                       c + halfwidth]).max() for c in centres])
        keep = (count >= min_inside) & (gaps <= MAX_GAP * halfwidth)
        if keep.sum() < MIN_KEEP * centres.size:
            keep = count >= min_inside
        centres = centres[keep]
    bump = Polynomial([1.0, 0.0, -1.0]) ** p
    derivs = [bump.deriv(k) if k else bump for k in range(max_order + 1)]
    if quadrature == "spline":
        return _spline_matrices(y, centres, halfwidth, p, derivs)
    s = (y[None, :] - centres[:, None]) / halfwidth
    inside = np.abs(s) < 1
    s = np.where(inside, s, 0.0)
    w = trapezoid_weights(y)
    return [((-1) ** k / halfwidth ** k) * np.where(inside, d(s), 0.0) * w
            for k, d in enumerate(derivs)]


def _spline_matrices(y, centres, halfwidth, p, derivs):
    """``A^(k)[j, i] = (-1)^k ∫ φ_j^(k) L_i``, ``L_i`` the cardinal cubic splines of ``y``.

    On each piece between knots and support ends ``φ^(k) L_i`` is a polynomial of degree
    at most ``2p + 3``: Gauss-Legendre with ``p + 2`` nodes is exact.
    """
    from scipy.interpolate import CubicSpline

    cardinal = CubicSpline(y, np.eye(y.size), axis=0)
    nodes, weights = np.polynomial.legendre.leggauss(p + 2)
    out = [np.zeros((centres.size, y.size)) for _ in derivs]
    for j, c in enumerate(centres):
        a, b = max(c - halfwidth, y[0]), min(c + halfwidth, y[-1])
        breaks = np.unique(np.r_[a, b, y[(y > a) & (y < b)]])
        half, mid = np.diff(breaks)[:, None] / 2, (breaks[:-1] + breaks[1:])[:, None] / 2
        tq, wq = (half * nodes + mid).ravel(), (half * weights).ravel()
        basis = cardinal(tq)
        s = np.clip((tq - c) / halfwidth, -1.0, 1.0)
        for k, d in enumerate(derivs):
            out[k][j] = ((-1) ** k / halfwidth ** k) * ((wq * d(s)) @ basis)
    return out


def time_test_functions(arrays, y, axis, p, name="axis t", width=None, ode=False):
    """``(halfwidth, quadrature)`` of the time axis, degrading gracefully on few snapshots.

    Dense uniform samples: :func:`auto_halfwidth` and the trapezoid rule, as for space.
    Otherwise (irregular times, or too few samples per bump for the trapezoid rule): the
    cubic-spline quadrature of :func:`bump_matrices`, which is exact for the bump and
    fourth-order in the data on any grid, so the bump no longer needs ~16 samples; the
    half-width is the spectral one (without the samples-per-bump floor) but at least
    ``(MIN_SUPPORT_SAMPLES + 1) / 2`` mean spacings, so a support covers about
    ``MIN_SUPPORT_SAMPLES + 1`` gaps, and at most a quarter of the axis. ``width``
    (a fraction of the axis) overrides the half-width (trapezoid rule when uniform). Fewer than
    ``MIN_TIME_SAMPLES`` samples raise :class:`DataError`.

    ODEs (``ode=True``: no space axes, so nothing but the time integral averages the noise).
    The ``SPLINE_SPACINGS`` cap (tuned on FitzHugh-Nagumo, where space integrals also average)
    leaves bumps of ~5 samples, which average too little noise: at 5 % noise and 25 % sampling
    the weak form dropped Duffing's damping ``-0.2 y`` (all seeds). So when the record
    *resolves* the signal, i.e. the spectral bump's standard deviation ``σ`` spans at least
    ``ODE_RESOLVED`` (6) mean spacings, the half-width is ``ODE_SPECTRAL_FRACTION`` (1/2) of the
    spectral one (never below the capped one). Measured (Lotka-Volterra, Van der Pol, Duffing,
    Lorenz; noise 0.1/1/5 %; 25 and 5 % sampling; 3 seeds): the capped rule 55/72 exact, this
    58/72 (Duffing 5 %/25 % 0/3 -> 3/3), no case lost. The full spectral width (fraction 1)
    or no cap on coarse records (``σ`` of 1-4 spacings, 5 % sampling) lost Van der Pol and
    Duffing cases: there the cubic interpolant between samples is poor and a narrow bump
    confines its error, as in the PDE case. Those records had ``σ`` <= 4.2 spacings and the
    resolved ones >= 10, hence the threshold 6.
    """
    y = np.asarray(y, dtype=float)
    n, length = y.size, float(y[-1] - y[0])
    if n < MIN_TIME_SAMPLES:
        raise DataError(f"{name} has {n} samples; the weak form needs at least "
                        f"{MIN_TIME_SAMPLES} (time test functions of a few samples each). Give "
                        "more snapshots, or use method=\"sindy\" on this record.")
    spacing = length / (n - 1)
    uniform = np.allclose(np.diff(y), spacing, rtol=1e-6, atol=0)
    spread = math.sqrt(2 * p + 3)
    if width is not None:  # the user's width: trapezoid rule on uniform samples, as in space
        return width * length, ("trapezoid" if uniform else "spline")
    if uniform and MIN_POINTS_PER_STD * spacing * spread <= length / 4:  # dense
        return auto_halfwidth(arrays, y, axis, p, name=name), "trapezoid"
    spectral = auto_halfwidth(arrays, y, axis, p, name=name, min_std=0.0)
    h = min(spectral, SPLINE_SPACINGS * spacing)
    h = max(h, (MIN_SUPPORT_SAMPLES + 1) / 2 * spacing)
    if ode and spectral / spread >= ODE_RESOLVED * spacing:  # resolved ODE record: see above
        h = max(h, ODE_SPECTRAL_FRACTION * spectral)
    return min(h, length / 4), "spline"


def _spectrum(arrays, y, axis):
    """Power spectrum along ``axis`` summed over the other axes, each array scaled to unit RMS."""
    from scipy.interpolate import interp1d
    from scipy.signal import detrend

    n = y.size
    uniform = np.linspace(y[0], y[-1], n)
    total = 0.0
    for v in arrays:
        v = np.moveaxis(v, axis, 0).reshape(n, -1)
        if not np.allclose(np.diff(y), uniform[1] - uniform[0], rtol=1e-6, atol=0):
            v = interp1d(y, v, axis=0)(uniform)
        rms = float(np.sqrt(np.mean(v ** 2)))
        if rms == 0:
            continue
        v = detrend(v / rms, axis=0) * np.hanning(n)[:, None]
        total = total + np.sum(np.abs(np.fft.rfft(v, axis=0)) ** 2, axis=1)
    freqs = np.fft.rfftfreq(n, uniform[1] - uniform[0])
    return freqs, np.asarray(total, dtype=float)


def auto_halfwidth(arrays, y, axis, p, name="axis", min_std=MIN_POINTS_PER_STD):
    """Default half-width of the bumps along one axis, from the data.

    Rule: a bump ``(1 - s²)^p`` of half-width ``H`` is close to a Gaussian of
    standard deviation ``σ = H / sqrt(2p + 3)``, which passes frequencies below
    about ``1 / (2πσ)`` and damps the ones above. Weak SINDy wants the test
    functions to pass the signal and to average the noise away, so ``σ`` is set
    to ``1 / (2π f*)`` with ``f*`` the frequency below which 90 % of the signal
    energy lies (the bump's spectrum is down to ``e^(-1/2)`` there). The spectrum
    is estimated with a Hann window after removing a linear trend; the noise
    floor (mean power of the upper half of the frequencies) is subtracted first,
    so white noise does not push ``f*`` up. ``σ`` is kept at least ``min_std``
    (2.5) grid spacings (trapezoid accuracy; 0 for the spline quadrature, which
    has no such floor) and ``H`` at most a quarter of the axis length (room for
    several bumps).

    Why 90 %: on Burgers, KdV and Kuramoto–Sivashinsky with 5–20 % noise, 90 %
    gave the smallest coefficient errors of 90/95/99/99.9 % (99.9 % broke KS
    and KdV at 10–20 % noise: narrow bumps let the noise through the
    high-order derivative columns); Lorenz was the same for all of them.

    The heuristic is imperfect: it sees one energy scale per axis, so data that
    mix very different scales (a sharp front in a smooth field) may prefer a
    hand-picked ``width``.

    Examples
    --------
    >>> y = np.linspace(0, 20, 401)
    >>> h = auto_halfwidth([np.sin(2 * np.pi * y)], y, axis=0, p=4)
    >>> bool(0.4 < h < 0.6)   # sqrt(2p + 3) / (2π · 1 Hz) = 0.53
    True
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    length = float(y[-1] - y[0])
    spacing = length / (n - 1)
    freqs, power = _spectrum(arrays, y, axis)
    power, freqs = power[1:], freqs[1:]
    if power.size >= 8:
        # white-noise floor: mean power of the upper half (assumed signal-free). Subtracted
        # without clipping, so the noise's fluctuations cancel in the cumulative sum.
        power = power - float(np.mean(power[power.size // 2:]))
    spread = math.sqrt(2 * p + 3)
    total = float(power.sum())
    if total > 0:
        cum = np.cumsum(power) / total
        f_star = float(freqs[min(int(np.argmax(cum >= ENERGY)), freqs.size - 1)])
        sigma = 1.0 / (2 * math.pi * f_star)
    else:  # a constant field (or pure noise): any width works; take the widest
        sigma = math.inf
    sigma = max(sigma, min_std * spacing)
    halfwidth = min(sigma * spread, length / 4)
    if halfwidth / spacing < min_std * spread:
        raise DataError(f"{name} has {n} samples: too few for test functions of order p={p} "
                        f"(a bump needs about {2 * math.ceil(min_std * spread) + 1} "
                        f"samples and a quarter of the axis at most); give more samples or a "
                        "smaller p.")
    return halfwidth
