"""Adapters between invlin and other frameworks (optional dependencies, imported when used).

- :mod:`invlin.adapters.torch`: a PyTorch i-ResNet with invlin's parameter layout, and the
  NumPy-in/NumPy-out wrapper that lets :func:`invlin.evaluate` measure any ``torch.nn.Module``.
"""
