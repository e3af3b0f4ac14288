"""The torch backend: the problem's generated torch right-hand side, solved by the tableau engine.

``sn.solve(prob, sn.Tsit5(), backend="torch:cuda", dtype="float32")`` compiles
``generate_source(prob, "torch")`` once per problem, moves the state and
parameters to the device and number type, and runs

* one trajectory, or a batch with one shared step size (``steps="shared"``),
  through :func:`symnum.solvers.engine.integrate` on the flattened batch (the
  error norm is the RMS over every trajectory's entries);
* a batch with a step size per trajectory (``steps="independent"``) through
  :func:`symnum.solvers.batched_engine.integrate_batch`.

Batched parameters and per-trajectory times go through ``torch.func.vmap`` of
the generated ``rhs(t, y, p)``; a shared parameter vector uses its own batch
axis directly. torch is imported only when this backend is used.

Examples
--------
>>> import sympy as sp, symnum as sn
>>> t = sp.Symbol("t"); y = sp.Function("y")
>>> sys = sn.ODESystem([sp.Eq(y(t).diff(t), -y(t))], initial={y(0): 1}, tspan=(0, 1))
>>> sol = sn.solve(sys, sn.Tsit5(), backend="torch", rtol=1e-9, atol=1e-12, saveat=[1.0])
>>> round(float(sol["y"][-1]), 8), type(sol.ys).__name__
(0.36787944, 'Tensor')
"""

from __future__ import annotations

import weakref

import numpy as np

from ..errors import BackendUnavailable, SolverError
from .inputs import initial_state, param_columns

__all__ = ["import_torch", "torch_device", "TorchRHS", "solve_torch", "torch_algorithms", "check_algorithm"]

_MODULES = weakref.WeakKeyDictionary()  # ODEProblem -> generated torch module


def import_torch():
    """``import torch``, or :class:`~symnum.errors.BackendUnavailable` saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise BackendUnavailable("backend='torch' needs PyTorch, which is not installed here. "
                                 "Install it with `pip install torch` (https://pytorch.org for "
                                 "CUDA builds), or use backend='numpy'.") from exc
    return torch


def torch_device(torch, device: str):
    """The ``torch.device`` for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, checked to exist."""
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise BackendUnavailable(
                f"backend='torch:{device}' needs a CUDA device, but torch.cuda.is_available() is "
                f"False (torch {torch.__version__}, built for CUDA {torch.version.cuda}). Use "
                "backend='torch' to run on the CPU, or install a CUDA build of torch "
                "(https://pytorch.org) on a machine with an NVIDIA GPU.")
        count = torch.cuda.device_count()
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise BackendUnavailable(f"backend='torch:{device}' asks for CUDA device {index}, but "
                                     f"torch sees {count}; valid: "
                                     f"{', '.join(repr(f'torch:cuda:{k}') for k in range(count))}.")
    return torch.device(device)


def torch_module(problem):
    """The generated torch module of ``problem`` (``rhs(t, y, p)``, ``full_fields``), built once."""
    mod = _MODULES.get(problem)
    if mod is None:
        from ..codegen.cache import load_source
        from ..codegen.mol_source import generate_source

        mod = load_source(generate_source(problem, "torch"), "torch")[0]
        _MODULES[problem] = mod
    return mod


def _explicit_classes():
    from ..solvers.explicit import _ExplicitRK

    return _ExplicitRK, [c.__name__ for c in _ExplicitRK.__subclasses__()]


def torch_algorithms() -> list[str]:
    """Names of the algorithms the torch backend runs (the explicit tableau methods)."""
    return _explicit_classes()[1]


def check_algorithm(alg):
    """``alg`` itself if the torch backend runs it (None: ``Tsit5()``), else a SolverError."""
    from ..solvers.algorithm import Algorithm
    from ..solvers.explicit import Tsit5

    base, names = _explicit_classes()
    if alg is None:
        return Tsit5()
    if isinstance(alg, base):
        return alg
    what = (f"{type(alg).__name__}" if isinstance(alg, Algorithm) else
            f"{alg!r} ({type(alg).__name__})")
    raise SolverError(f"backend='torch' runs the explicit tableau methods "
                      f"{', '.join(f'sn.{k}()' for k in names)}; got {what}. For stiff problems "
                      "use backend='numpy' with sn.CVODE() or sn.Rodas5P(); on torch pass e.g. "
                      "sn.Tsit5() (or alg=None).")


class TorchRHS:
    """``rhs(t, y)`` for the engines from the generated ``rhs(t, y, p)``.

    ``P`` is ``(np,)`` (shared) or ``(B, np)``; ``t_batched`` says whether
    ``t`` is a tensor of per-trajectory times. Shared parameters and a float
    ``t`` call the generated code on the whole batch; otherwise
    ``torch.func.vmap`` maps it over the trajectories.
    """

    def __init__(self, torch, module, P, t_batched=False):
        self.P = P
        batched_p = P.ndim == 2
        if batched_p or t_batched:
            self.fn = torch.func.vmap(module.rhs, in_dims=(0 if t_batched else None, 0,
                                                           0 if batched_p else None))
        else:
            self.fn = module.rhs

    def __call__(self, t, y):
        return self.fn(t, y, self.P)


def _as_tensor(torch, v, dtype, device):
    if isinstance(v, torch.Tensor):
        return v.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(v, dtype=float), dtype=dtype, device=device)


def _params(torch, problem, p, dtype, device):
    cols, batch = param_columns(problem, p)
    cols = [_as_tensor(torch, v, dtype, device) for v in cols]
    if batch is not None:
        cols = [v.expand(batch) if v.ndim == 0 else v for v in cols]
    if not cols:
        return torch.zeros((batch, 0) if batch else (0,), dtype=dtype, device=device), batch
    return torch.stack(cols, dim=-1), batch


def solve_torch(problem, alg, spec, *, y0, p, t0, t1, options, steps):
    """Solve ``problem`` on ``spec`` (a torch :class:`~symnum.backends.registry.BackendSpec`)."""
    from ..solvers.batched_engine import integrate_batch
    from ..solvers.engine import integrate
    from ..solvers.solution import Solution

    torch = import_torch()
    device = torch_device(torch, spec.device)
    dtype = getattr(torch, spec.dtype)
    alg = check_algorithm(alg)
    mod = torch_module(problem)
    Y0, by = initial_state(problem, y0)
    P, bp = _params(torch, problem, p, dtype, device)
    batch = by if bp is None else bp
    if by is not None and bp is not None and by != bp:
        raise SolverError(f"y0 has a batch of {by} but p has {bp}; give both the same batch size "
                          "or leave one unbatched.")
    Y0 = _as_tensor(torch, Y0, dtype, device)
    if batch is not None and by is None:
        Y0 = Y0.expand(batch, -1)
    independent = steps == "independent" and batch is not None and alg.adaptive
    stats = {"backend": f"torch:{device}", "dtype": spec.dtype, "batch": batch,
             "steps_mode": "independent" if independent else "shared"}
    results = None
    if independent:
        if options.saveat is None:
            raise SolverError("steps='independent' needs saveat times: the trajectories take "
                              "different steps. Pass saveat=[...] (e.g. np.linspace(t0, t1, 11)), "
                              "or use steps='shared'.")
        res = integrate_batch(TorchRHS(torch, mod, P, t_batched=True), Y0, t0, t1, alg.method,
                              saveat=options.saveat, rtol=options.rtol, atol=options.atol,
                              dt0=options.dt0, dtmax=options.dtmax, max_steps=options.max_steps,
                              controller=alg.controller)
        ts, ys, results, interp = res.ts, res.ys, res.results, None
        result = next((r for r in results if not r.ok), results[0])
        stats.update(res.stats, compiled=False)
    else:
        rhs = TorchRHS(torch, mod, P)
        shape = tuple(Y0.shape)
        flat = (lambda t, y: rhs(t, y.reshape(shape)).reshape(-1)) if batch else rhs
        res = integrate(flat, Y0.reshape(-1), t0, t1, alg.method, rtol=options.rtol,
                        atol=options.atol, saveat=options.saveat, dt0=options.dt0,
                        dtmax=options.dtmax, max_steps=options.max_steps, adaptive=alg.adaptive,
                        dt=None if alg.adaptive else alg.dt, controller=alg.controller,
                        dense=options.dense, record=alg.record,
                        rows=shape[0] if batch else None)
        ts, ys, result = res.ts, res.ys.reshape((len(res.ts),) + shape), res.result
        stats.update(res.stats, compiled=False)
        if res.records is not None:
            stats.update(step_t=res.records["t"], step_h=res.records["h"],
                         step_error=res.records["error"], step_stiffness=res.records["stiffness"])
        if batch:
            ys = ys.transpose(0, 1)
            if results is None:
                results = [result] * batch
        interp = None if res.dense is None else _interpolant(res.dense, shape)
    unpack = _Unpacker(torch, mod, P, problem.names)
    sol = Solution(ts, ys.detach().cpu().numpy(), problem.layout, stats, result,
                   interpolant=interp, algorithm=alg, problem=problem, raw=ys, unpack=unpack,
                   results=results)
    if not result.ok:
        sol.stats.setdefault("message", f"{type(alg).__name__} stopped before t={t1:g} on "
                                        f"{sol.stats['backend']}")
    return sol


def _interpolant(dense, shape):
    """The engine's dense output as NumPy ``(m, n)``, or ``(B, m, n)`` for a batch."""
    def interp(tq):
        Y = dense(tq).detach().cpu().numpy()
        Y = Y.reshape((len(Y),) + shape)
        return np.swapaxes(Y, 0, 1) if len(shape) == 2 else Y
    return interp


class _Unpacker:
    """Full fields from flat states with the solve's own parameters, through the torch ``full_fields``.

    Called with NumPy states it returns NumPy fields (``Solution.__getitem__``);
    :meth:`tensors` keeps torch tensors and their graph (``Solution.tensor``).
    """

    def __init__(self, torch, module, P, names):
        self.torch, self.module, self.P, self.names = torch, module, P, names

    def tensors(self, t, Y):
        """``{name: tensor}`` of shape ``(nt, *grid)`` or ``(B, nt, *grid)`` from ``Y`` ``(.., nt, n)``."""
        torch = self.torch
        Y = torch.as_tensor(Y, device=self.P.device)
        if Y.dtype != self.P.dtype:
            Y = Y.to(self.P.dtype)
        lead = tuple(Y.shape[:-1])
        nt = lead[-1]
        tt = torch.as_tensor(np.asarray(t, dtype=float), dtype=torch.float64, device=Y.device)
        tt = tt.expand(lead).reshape(-1)
        flat = Y.reshape(-1, Y.shape[-1])
        P = self.P
        if P.ndim == 2:  # one parameter set per trajectory: repeat it for each time
            P = P[:, None, :].expand(lead + (P.shape[-1],)).reshape(-1, P.shape[-1])
        fn = torch.func.vmap(self.module.full_fields, in_dims=(0, 0, 0 if P.ndim == 2 else None))
        out = fn(tt, flat, P) if nt and flat.shape[0] else None
        if out is None:
            return {k: Y.new_zeros(lead) for k in self.names}
        return {k: v.reshape(lead + tuple(v.shape[1:])) for k, v in zip(self.names, out)}

    def __call__(self, t, Y):
        with self.torch.no_grad():
            fields = self.tensors(t, Y)
        return {k: v.cpu().numpy() for k, v in fields.items()}
