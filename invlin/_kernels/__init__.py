"""The kernel runtime every Numba kernel of invlin runs on (private; the bottom layer).

- :mod:`invlin._kernels.jit`: the compile options, set in one place;
- :mod:`invlin._kernels.team`: the work-sharing team that runs a kernel's chunks on threads;
- :mod:`invlin._kernels.spin`: the team's bounded spin-wait outside the GIL.

Models, priors, training and execution import it; it imports nothing of invlin
(docs/architecture.md, "Layers"; docs/engine.md).
"""
