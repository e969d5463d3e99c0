"""invlin: checking when invertible networks are Bayesian point estimators.

The numeric half of the project (NumPy, SciPy, Numba). Its symbolic counterpart is the
:mod:`theory` package; :mod:`invlin.verify` joins the two.
"""

__version__ = "0.1.0"
