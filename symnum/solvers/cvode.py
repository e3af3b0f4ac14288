"""``CVODE``: SUNDIALS variable-order BDF / Adams through scikit-sundae.

The linear algebra inside the Newton iteration decides the speed of a stiff
method-of-lines solve (benchmarks/bench_brusselator_stiff.py), so the algorithm object
exposes that choice: a dense LU, the exact sparse Jacobian with SuperLU_MT, or
GMRES with a structure-aware preconditioner from
:mod:`symnum.solvers.preconditioners` (FFT for periodic grids, sparse LU
otherwise). ``linear_solver="auto"`` chooses by size and structure.

Examples
--------
>>> import numpy as np
>>> from symnum.solvers.functions import ODEFunctions
>>> from symnum.solvers.algorithm import SolveOptions
>>> f = ODEFunctions(n=1, rhs=lambda t, y: -50.0 * (y - np.cos(t)))
>>> raw = CVODE().run(f, np.zeros(1), (0.0, 1.0), SolveOptions(rtol=1e-8, atol=1e-10,
...                                                            saveat=np.array([1.0])))
>>> raw.result.name, round(float(raw.ys[-1, 0]), 4)
('success', 0.5569)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sps

from ..errors import SolverError
from . import _sundials
from .algorithm import Algorithm, RawSolution, SolveOptions
from .cvode_support import choose_linear_solver, csc_permutation, hermite_interpolant, saveat_times
from .preconditioners import PRECONDITIONERS, make_preconditioner
from .results import ReturnCode

__all__ = ["CVODE"]

_METHODS = ("BDF", "Adams")
_LINEAR_SOLVERS = ("auto", "dense", "sparse", "krylov")
# CVODE flags -> return codes (cvode.h); anything else is a generic failure
_FLAGS = {-1: ReturnCode.max_steps_reached, -3: ReturnCode.dt_underflow,
          -4: ReturnCode.dt_underflow}
_STALL_STEPS = 20


@dataclass(frozen=True)
class CVODE(Algorithm):
    """SUNDIALS CVODE: variable-order, variable-step BDF (stiff) or Adams (nonstiff).

    Orders 1-5 (BDF) or 1-12 (Adams), Nordsieck-array multistep with a local
    error test per step and a modified Newton iteration that reuses its
    Jacobian / preconditioner across steps. Reference: Hindmarsh et al.,
    "SUNDIALS: Suite of nonlinear and differential/algebraic equation
    solvers", ACM TOMS 31 (2005); wrapper: scikit-sundae.

    Parameters
    ----------
    method : {"BDF", "Adams"}
        BDF for stiff problems (default), Adams-Moulton for nonstiff ones.
    linear_solver : {"auto", "dense", "sparse", "krylov"}
        ``"dense"``: LAPACK-free dense LU with the exact Jacobian (``functions.jac``)
        or CVODE's difference quotients. ``"sparse"``: SuperLU_MT on the exact
        sparse Jacobian and its fixed pattern ``functions.jac_sparsity``
        (column-grouped finite differences when only the pattern is known).
        ``"krylov"``: preconditioned GMRES. ``"auto"``: dense up to
        ``DENSE_MAX`` unknowns, Krylov when an FFT preconditioner applies and
        the system has at least ``KRYLOV_MIN`` unknowns, sparse otherwise
        (Krylov whenever ``preconditioner`` is named explicitly); thresholds
        measured in ``benchmarks/bench_linear_solver_choice.py``.
    preconditioner : {"auto", "fft", "lu", "ilu", "none"}
        For ``"krylov"`` only. ``"auto"`` picks ``"fft"`` on fully periodic
        grids with a translation-invariant linear part, else ``"lu"`` when the
        Jacobian is known, else none.
    max_order : int or None
        Highest order (None: 5 for BDF, 12 for Adams).
    krylov_dim : int
        Largest Krylov subspace (GMRES restart length).
    eps_lin : float or None
        Krylov stopping factor: the linear residual must fall below
        ``eps_lin`` times the Newton tolerance (CVODE's default 0.05 when None).
    precondition_side : {"left", "right"}
        GMRES preconditioning side. Right keeps the true residual in the
        stopping test.

    Notes
    -----
    Output: values at ``saveat`` come from CVODE's own interpolation over the
    last internal step (``CVodeGetDky``); with ``saveat=None`` every internal
    step is returned. scikit-sundae does not expose the Nordsieck history, so
    ``sol(t)`` between saved points is a cubic Hermite interpolant with slopes
    ``f(t_i, y_i)`` (computed on first use): third order, accurate when every
    step is saved, coarse between sparse ``saveat`` points.

    Stats: ``nfev`` counts every RHS call (difference-quotient Jacobian-vector
    products included), ``njev`` Jacobian evaluations (CVODE's plus the
    preconditioner's). CVODE's own counters -- ``steps`` (attempted),
    ``rejected`` (error-test plus convergence failures), ``nonlinear_iterations``,
    ``linear_iterations``, ``order`` ... -- are read from SUNDIALS through
    :mod:`symnum.solvers._sundials`; if that is unavailable, ``steps`` counts
    accepted steps and ``rejected`` is None. Preconditioners add ``psetups``,
    ``pjevals``, ``psolves``.

    Examples
    --------
    >>> CVODE(linear_solver="krylov", preconditioner="fft").stiff
    True
    >>> CVODE(linear_solver="cholesky")
    Traceback (most recent call last):
    ...
    symnum.errors.SolverError: CVODE(linear_solver='cholesky') is not known; valid choices are 'auto', 'dense', 'sparse', 'krylov'
    """

    method: str = "BDF"
    linear_solver: str = "auto"
    preconditioner: str = "auto"
    max_order: int | None = None
    krylov_dim: int = 10
    eps_lin: float | None = None
    precondition_side: str = "right"

    name: ClassVar[str] = "CVODE"
    stiff: ClassVar[bool] = True

    def __post_init__(self):
        for field, value, valid in (("method", self.method, _METHODS),
                                    ("linear_solver", self.linear_solver, _LINEAR_SOLVERS),
                                    ("preconditioner", self.preconditioner, PRECONDITIONERS),
                                    ("precondition_side", self.precondition_side,
                                     ("left", "right"))):
            if value not in valid:
                raise SolverError(f"CVODE({field}={value!r}) is not known; valid choices are "
                                  f"{', '.join(map(repr, valid))}")
        top = 5 if self.method == "BDF" else 12
        if self.max_order is not None and (not isinstance(self.max_order, int)
                                           or not 1 <= self.max_order <= top):
            raise SolverError(f"CVODE(max_order={self.max_order!r}) must be an integer in "
                              f"[1, {top}] for method={self.method!r}")
        if not isinstance(self.krylov_dim, int) or self.krylov_dim < 1:
            raise SolverError(f"CVODE(krylov_dim={self.krylov_dim!r}) must be a positive "
                              "integer, e.g. krylov_dim=10")
        if self.eps_lin is not None and not (0.0 < float(self.eps_lin) <= 1.0):
            raise SolverError(f"CVODE(eps_lin={self.eps_lin!r}) must be in (0, 1], e.g. 0.05")
        if self.preconditioner != "auto" and self.linear_solver not in ("auto", "krylov"):
            raise SolverError(
                f"CVODE(preconditioner={self.preconditioner!r}) applies to the Krylov solver "
                f"only, but linear_solver={self.linear_solver!r}; pass linear_solver='krylov'")

    # ------------------------------------------------------------------------
    def run(self, functions, y0, tspan, options: SolveOptions) -> RawSolution:
        """Integrate ``functions`` from ``y0`` over ``tspan``; failures go into ``result``."""
        from sksundae.cvode import CVODE as SunCVODE, CVODEPrecond

        y0, t0, t1 = self.check_inputs(functions, y0, tspan)
        linsolver = self.linear_solver
        if linsolver == "auto":
            # naming a preconditioner asks for the Krylov solver
            linsolver = (choose_linear_solver(functions) if self.preconditioner == "auto"
                         else "krylov")
        counts = {"nfev": 0, "nonfinite": False}  # reported when the solve fails
        kwargs = dict(method=self.method, rtol=float(options.rtol), atol=options.atol,
                      max_num_steps=10**9)
        if self.max_order is not None:
            kwargs["max_order"] = self.max_order
        if options.dt0:
            kwargs["first_step"] = abs(float(options.dt0))
        if math.isfinite(options.dtmax):
            kwargs["max_step"] = float(options.dtmax)

        rhs_into, rhs = functions.rhs_into, functions.rhs
        if rhs_into is not None:
            def rhsfn(t, y, yp):
                counts["nfev"] += 1
                rhs_into(t, y, yp)
                if not math.isfinite(yp.sum()):  # one pass: NaN/inf anywhere makes it so
                    counts["nonfinite"] = True
        else:
            def rhsfn(t, y, yp):
                counts["nfev"] += 1
                yp[:] = rhs(t, y)
                if not math.isfinite(yp.sum()):
                    counts["nonfinite"] = True

        precond = None
        if linsolver == "dense":
            kwargs["linsolver"] = "dense"
            if functions.jac is not None:
                def jacfn(t, y, yp, JJ):
                    J = functions.jac(t, y)
                    JJ[:, :] = J.toarray() if sps.issparse(J) else J
                kwargs["jacfn"] = jacfn
        elif linsolver == "sparse":
            kwargs.update(self._sparse_options(functions, y0, t0))
        elif linsolver == "krylov":
            kwargs.update(linsolver="gmres", krylov_dim=self.krylov_dim)
            precond = make_preconditioner(self.preconditioner, functions)
            if precond is not None:
                P = precond

                def psetup(t, y, yp, jok, jnew, gamma):
                    jnew[0] = 1 if P.setup(t, y, bool(jok), gamma) else 0

                def psolve(t, y, yp, r, z, gamma, delta, lr):
                    P.solve(r, gamma, z, t)

                kwargs["precond"] = CVODEPrecond(psetup, psolve, self.precondition_side)
        else:  # pragma: no cover - validated in __post_init__ / choose_linear_solver
            raise SolverError(f"linear_solver={linsolver!r}")

        with warnings.catch_warnings():
            # sksundae warns that 'sparsity' is unused once 'jacfn' is given: intended
            warnings.simplefilter("ignore", UserWarning)
            solver = SunCVODE(rhsfn, **kwargs)
        raw = _integrate(solver, functions, y0, t0, t1, options, self.eps_lin, counts)
        raw.stats.update(nfev=counts["nfev"], linear_solver=linsolver)
        if precond is not None:
            raw.stats.update(precond.stats, preconditioner=type(precond).__name__)
            raw.stats["njev"] += precond.stats["pjevals"]
        return raw

    @staticmethod
    def _sparse_options(functions, y0, t0) -> dict:
        pattern = functions.jac_sparsity
        if pattern is None and functions.jac is None:
            raise SolverError("CVODE(linear_solver='sparse') needs functions.jac or "
                              "functions.jac_sparsity; use linear_solver='dense' or 'krylov'")
        if pattern is None:
            pattern = functions.jac(t0, y0)
        pattern = sps.csr_matrix(pattern)
        pattern.sort_indices()
        csc = sps.csr_matrix((np.ones(pattern.nnz), pattern.indices, pattern.indptr),
                             shape=pattern.shape).tocsc()
        csc.sort_indices()
        out = {"linsolver": "sparse", "sparsity": csc}
        if functions.jac is not None:
            perm = csc_permutation(pattern)
            indptr, indices = pattern.indptr, pattern.indices

            def same_pattern(J):
                return (sps.isspmatrix_csr(J) or isinstance(J, sps.csr_array)) and \
                    np.array_equal(J.indptr, indptr) and np.array_equal(J.indices, indices)

            if not same_pattern(functions.jac(t0, y0)):
                raise SolverError(
                    "functions.jac returned a matrix whose sparsity pattern differs from "
                    "functions.jac_sparsity; the ODEFunctions contract requires CSR with the "
                    "fixed pattern (keep explicit zeros, sorted indices)")

            def jacfn(t, y, yp, JJ):
                J = functions.jac(t, y)
                # raising inside this callback crashes SuperLU_MT: poison the matrix
                # instead, so CVODE fails cleanly and reports it
                JJ[:] = J.data[perm] if same_pattern(J) else np.nan
            out["jacfn"] = jacfn
        return out


def _integrate(solver, functions, y0, t0, t1, options: SolveOptions, eps_lin,
               counts) -> RawSolution:
    """Step ``solver`` one internal step at a time; record saves, count, map failures."""
    sign = 1.0 if t1 > t0 else -1.0
    saves = saveat_times(options.saveat, t0, t1)
    ts, ys = [], []
    first = solver.init_step(t0, y0)
    if not first.success:  # pragma: no cover - bad options are caught before
        return RawSolution(np.array([t0]), y0[None, :], {"steps": 0, "accepted": 0,
                           "rejected": 0, "nfev": 0, "njev": 0}, ReturnCode.solver_failure,
                           message=first.message)
    handle = _sundials.attach(solver, functions.n)
    eps_applied = handle is not None and eps_lin is not None and handle.set_eps_lin(eps_lin)
    k = 0  # next save time
    if saves is None:
        ts.append(t0)
        ys.append(y0.copy())
    else:
        while k < len(saves) and saves[k] == t0:
            ts.append(t0)
            ys.append(y0.copy())
            k += 1
    steps, t, y, result, message, stalled = 0, t0, y0, ReturnCode.success, "", 0
    while sign * (t1 - t) > 0:
        if steps >= options.max_steps:
            result = ReturnCode.max_steps_reached
            message = f"stopped at t={t} after max_steps={options.max_steps} steps"
            break
        out = solver.step(t1, method="onestep", tstop=t1)
        if not out.success:
            result = _failure_code(out.status, y, counts["nonfinite"])
            message = f"CVODE flag {out.status}: {out.message}"
            break
        steps += 1
        # CVODE keeps stepping with t + h == t (only warning) when the RHS blows
        # up just ahead; treat a run of steps without progress as underflow
        stalled = stalled + 1 if float(out.t) == t else 0
        t, y = float(out.t), out.y
        if stalled >= _STALL_STEPS:
            result = _failure_code(-3, y, counts["nonfinite"])
            message = f"no progress past t={t}: step size underflow"
            break
        if saves is None:
            ts.append(t)
            ys.append(y)
            continue
        while k < len(saves) and sign * (t - saves[k]) >= 0:
            if saves[k] == t:
                ts.append(t)
                ys.append(y)
            else:  # CVODE's own dense output over the last step (CVodeGetDky)
                ts.append(float(saves[k]))
                ys.append(solver.step(float(saves[k]), method="normal").y)
            k += 1
    stats = {"steps": steps, "accepted": steps, "rejected": None, "njev": int(out.njev)
             if steps else 0}
    if eps_lin is not None:
        stats["eps_lin_applied"] = bool(eps_applied)  # False: this scikit-sundae hides it
    if handle is not None:
        cv = handle.stats()
        stats.update(cv)
        stats["rejected"] = cv.get("error_test_failures", 0) + cv.get(
            "nonlinear_conv_failures", 0)
        stats["steps"] = steps + stats["rejected"]
    ts_arr = np.asarray(ts, dtype=float)
    ys_arr = np.asarray(ys, dtype=float).reshape(len(ts), functions.n)
    interp = hermite_interpolant(functions, ts_arr, ys_arr) if options.dense else None
    return RawSolution(ts_arr, ys_arr, stats, result, interpolant=interp, message=message)


def _failure_code(status: int, y, saw_nonfinite: bool) -> ReturnCode:
    if saw_nonfinite or not np.all(np.isfinite(y)):
        return ReturnCode.nonfinite
    return _FLAGS.get(int(status), ReturnCode.solver_failure)
