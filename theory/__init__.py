"""Symbolic theory (SymPy only) of what invertible models learn under each training loss.

This package never imports :mod:`invlin`.
"""
