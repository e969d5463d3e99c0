"""Numba kernels of :class:`invlin.models.iresnet.IResNet` (private).

All kernels work on the *kernel layout* of the weights: per block ``k``

* ``W1T[k]`` of shape ``(n, m)``: the transpose of the first weight matrix ``W1`` (``m x n``),
  stored transposed so that every inner loop runs contiguously over the hidden units ``r``;
* ``b1[k]`` of shape ``(m,)``, ``W2[k]`` of shape ``(n, m)``, ``b2[k]`` of shape ``(n,)``.

A block is ``x -> x + g(x)``, ``g(x) = W2 act(W1 x + b1) + b2`` and its Jacobian is
``J_k = I + W2 diag(act'(h)) W1``. Gradients are reverse mode written by hand: the adjoint of
the block output ``xbar`` and, for the regulariser, the adjoint of the block Jacobian ``Jbar``
are pulled back through

    J[i, j] = delta_ij + sum_r W2[i, r] act'(h_r) W1[r, j],

which needs ``act''`` (the second derivative of the network). Kernels loop over fixed chunks
of samples whose size depends only on the number of samples (serially, or on the threads of
the work-sharing team :mod:`invlin._kernels.team`, which call the same bodies); each chunk
writes its own gradient slot and the slots are summed afterwards in a fixed order, so results
do not depend on the number of threads. Compile options come from :mod:`invlin._kernels.jit`;
the sums over samples and the dot products use its fast-math flags (reassociation and
contraction only, see ``docs/engine.md``).

The training objective (:func:`_objective_chunks`) holds a chunk in a structure-of-arrays layout
(samples on the last axis) so that its inner loops vectorise across samples. Kernels are
compiled with ``error_model="numpy"``: Python's check of every float division for a zero
divisor (which raises ZeroDivisionError) stops LLVM from vectorising loops that divide; no
divisor here can be zero (counts N >= 1, pivots tested before the division, 2 + q >= 1 and
1 + e >= 1 in the activations).
"""

from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.extending import intrinsic, overload

from invlin._kernels.jit import kernel
from invlin._kernels.team import claim

TANH = 0
SOFTPLUS = 1
SOFTCLIP = 2

REG_NONE = 0
REG_LOGDET = 1
REG_DIVERGENCE = 2

# data term of the objective kernel: |phi(x) - t|^2, |phi(x) - t|^2_M, or none with t the
# adjoint of the output given (the reconstruction loss, by the implicit function theorem)
DATA_EUCLIDEAN = 0
DATA_METRIC = 1
DATA_ADJOINT = 2


# -- activation ---------------------------------------------------------------------------------
# tanh through expm1, written out so that loops over it vectorise (a libm call in a loop does not
# vectorise without SVML, and the libm tanh dominated the kernels' run time). Cody-Waite
# reduction x = k ln 2 + r, |r| <= ln(2)/2, with ln 2 split into a 32-bit head (exact k ln2_hi
# for |k| < 2^20) and a tail (the fdlibm constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
# beyond |h| = 20 tanh(h) rounds to +-1 (1 - tanh 20 = 8.5e-18 < eps / 2): clamp there
_TANH_SATURATION = 20.0
# Rounding to an integer without a float-to-integer conversion: for |v| < 2^51, v + 1.5 2^52
# lies in [2^52, 2^53), where the spacing of doubles is 1, so the sum is rounded to an integer
# and its bit pattern minus that of 1.5 2^52 is that integer. An add and a bitcast instead of
# floor and two conversions between doubles and 64-bit integers (which x86 vectorises only from
# AVX-512DQ on): the tanh loop ran 9% faster on the project's Zen 4, which has AVX-512DQ.
_ROUNDING_SHIFT = 6755399441055744.0
_ROUNDING_SHIFT_BITS = 0x4338000000000000  # the bit pattern of 1.5 2^52
_EXPONENT_BIAS = 1023


def _bitcast_intrinsic(source, target):
    """An intrinsic reinterpreting a ``source`` scalar's bits as a ``target`` scalar."""

    @intrinsic
    def bitcast(typingctx, value):
        if value != source:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(target))

        return target(source), codegen

    return bitcast


_bits_intrinsic = _bitcast_intrinsic(types.float64, types.int64)
_from_bits_intrinsic = _bitcast_intrinsic(types.int64, types.float64)


def _bits(value):
    """The bit pattern of a float64 as an int64 (a reinterpretation, no conversion)."""
    return int(np.float64(value).view(np.int64))


def _from_bits(pattern):
    """The float64 with the bit pattern of an int64 (inverse of :func:`_bits`); ``pattern`` is
    taken modulo 2^64, as the compiled kernels' int64 arithmetic wraps."""
    return float(np.uint64(pattern % 2**64).view(np.float64))


# compiled kernels reinterpret the register (a bitcast); NUMBA_DISABLE_JIT runs the NumPy views
overload(_bits)(lambda value: lambda value: _bits_intrinsic(value))
overload(_from_bits)(lambda pattern: lambda pattern: _from_bits_intrinsic(pattern))


@kernel(reassociate=True)
def _expm1_taylor(r):
    """expm1(r) for |r| <= ln(2)/2 by its Taylor polynomial of degree 13 (remainder
    |r|^14 / 14! < 2e-17 |r|), in Estrin's scheme (a short dependency chain, so that vectorised
    iterations overlap).

    Compiled with the flags FASTMATH (polynomial evaluation): LLVM fuses the products and sums
    into multiply-adds (17% faster tanh, measured over 131072 arguments) and may reorder them.
    Any order of the 14 terms, fused or not, is within 14 eps of their absolute sum, which is at
    most e^|r| |r| <= 1.42 |r| <= 1.8 |expm1(r)| for |r| <= 0.35: a bound of 25 eps relative.
    Measured, the tanh built on it stays at 1.8 eps relative error, as without the flags (the
    tanh test's bound is 4 eps).
    """
    r2 = r * r
    r4 = r2 * r2
    b0 = (1.0 + r * (1.0 / 2)) + r2 * (1.0 / 6 + r * (1.0 / 24))
    b1 = (1.0 / 120 + r * (1.0 / 720)) + r2 * (1.0 / 5040 + r * (1.0 / 40320))
    b2 = (1.0 / 362880 + r * (1.0 / 3628800)) + r2 * (1.0 / 39916800 + r * (1.0 / 479001600))
    return r * ((b0 + r4 * b1) + (r4 * r4) * (b2 + r4 * (1.0 / 6227020800)))


@kernel
def _tanh(hr):
    """tanh(hr) = sign(hr) (-q) / (2 + q) with q = expm1(-2|hr|) in (-1, 0].

    q = 2^k expm1(r) + (2^k - 1) with k the integer nearest x / ln 2 (in [-58, 0]) and
    expm1(r) by :func:`_expm1_taylor`; the two terms of q have the same sign, so nothing
    cancels, and -q / (2 + q) has a relative error of a few ulp (tested against numpy.tanh).
    k is rounded by adding _ROUNDING_SHIFT, and 2^k is built from its bits (exponent field
    k + 1023): no conversion between doubles and integers, so loops over the tanh vectorise
    completely. The reduction is compiled without fast-math flags (its two-part ln 2 must not
    be reassociated). Everything is branch-free arithmetic.
    """
    x = -2.0 * min(abs(hr), _TANH_SATURATION)
    shifted = x * _INV_LN2 + _ROUNDING_SHIFT
    k = shifted - _ROUNDING_SHIFT
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = _expm1_taylor(r)
    two_k = _from_bits((_bits(shifted) - _ROUNDING_SHIFT_BITS + _EXPONENT_BIAS) << 52)
    q = two_k * p + (two_k - 1.0)
    t = -q / (2.0 + q)
    return -t if hr < 0.0 else t


@kernel
def _softplus(hr):
    """(softplus, its first and second derivative) at hr, evaluated without overflow."""
    if hr >= 0.0:
        e = math.exp(-hr)
        s = 1.0 / (1.0 + e)
        return hr + math.log1p(e), s, s * (1.0 - s)
    e = math.exp(hr)
    s = e / (1.0 + e)
    return math.log1p(e), s, s * (1.0 - s)


# The soft clip's sharpness beta and its constants E = e^beta, E - 1, 2 sinh(beta) = E - 1/E and
# 2 cosh(beta) = E + 1/E (docs/sparsity.md, "Sample-trained networks with slope bounds", gives
# the reason for beta = 8: on |h| <= 1/2 the slope is within e^(-beta/2) = 1.8% of 1, so a
# unit holds a block slope of 1 + L on an interval, while the corners at h = +-1 stay about
# 1/beta wide, so that the sample gradient of the divergence term still sees them).
SOFTCLIP_SHARPNESS = 8.0
_SOFTCLIP_E = math.exp(SOFTCLIP_SHARPNESS)
_SOFTCLIP_E_MINUS_1 = math.expm1(SOFTCLIP_SHARPNESS)
_SOFTCLIP_TWO_SINH = 2.0 * math.sinh(SOFTCLIP_SHARPNESS)
_SOFTCLIP_TWO_COSH = 2.0 * math.cosh(SOFTCLIP_SHARPNESS)


@kernel
def _softclip(hr):
    r"""(soft clip, its first and second derivative) at hr, without overflow or cancellation.

    The soft clip of sharpness :math:`\beta` (``SOFTCLIP_SHARPNESS``) is the smooth
    clipped identity

    .. math:: \sigma(h) = \frac{\mathrm{softplus}(\beta(h + 1))
              - \mathrm{softplus}(\beta(h - 1))}{\beta} - 1,
              \qquad \sigma'(h) = \frac{\sinh\beta}{\cosh\beta + \cosh\beta h}.

    It is odd; with :math:`w = e^{-\beta|h|} \in (0, 1]`, :math:`E = e^\beta` and
    :math:`D = 1 + w (2\cosh\beta + w)`,

    .. math:: |\sigma(h)| = \frac{1}{\beta}
              \operatorname{log1p}\frac{(E - 1)(1 - w)}{1 + E w}, \quad
              \sigma'(h) = \frac{2 \sinh(\beta)\, w}{D}, \quad
              \sigma''(h) = -\operatorname{sign}(h)\, \beta\, \sigma'(h)
              \frac{(1 - w)(1 + w)}{D}.

    1 - w = -expm1(-beta |h|) is computed directly, so nothing cancels: every term is a sum of
    non-negative numbers, and w underflows to 0 far out, where sigma = +-1 and sigma' =
    sigma'' = 0 are the limits.
    """
    x = abs(hr)
    w = math.exp(-SOFTCLIP_SHARPNESS * x)
    one_minus_w = -math.expm1(-SOFTCLIP_SHARPNESS * x)
    value = math.log1p(_SOFTCLIP_E_MINUS_1 * one_minus_w / (1.0 + _SOFTCLIP_E * w))
    value /= SOFTCLIP_SHARPNESS
    denominator = 1.0 + w * (_SOFTCLIP_TWO_COSH + w)
    d1 = _SOFTCLIP_TWO_SINH * w / denominator
    d2 = SOFTCLIP_SHARPNESS * d1 * (one_minus_w * (1.0 + w)) / denominator
    if hr < 0.0:
        return -value, d1, d2
    return value, d1, -d2


@kernel
def _activate(h, act, a, d1, d2):
    """Fill a = act(h), d1 = act'(h), d2 = act''(h).

    The test of ``act`` stays outside the loops, so that the tanh loop vectorises.
    """
    if act == TANH:
        for r in range(h.shape[0]):
            t = _tanh(h[r])
            d = 1.0 - t * t
            a[r] = t
            d1[r] = d
            d2[r] = -2.0 * t * d
    elif act == SOFTCLIP:
        for r in range(h.shape[0]):
            a[r], d1[r], d2[r] = _softclip(h[r])
    else:
        for r in range(h.shape[0]):
            a[r], d1[r], d2[r] = _softplus(h[r])


# -- dot product over the hidden units ------------------------------------------------------------
@kernel(reassociate=True)
def _dot(u, v):
    """sum_r u[r] v[r].

    Compiled with the flags FASTMATH: LLVM may split the sum into vectorised partial sums and
    fuse the multiply-adds (rounding changes, by at most m eps sum_r |u_r v_r|).
    """
    s = 0.0
    for r in range(u.shape[0]):
        s += u[r] * v[r]
    return s


# -- one block ----------------------------------------------------------------------------------
@kernel
def _block_forward(W1T, b1, W2, b2, x_in, act, h, a, d1, d2, x_out):
    """x_out = x_in + W2 act(W1 x_in + b1) + b2; keeps h, act, act', act''."""
    n, m = W1T.shape
    for r in range(m):
        h[r] = b1[r]
    for j in range(n):
        xj = x_in[j]
        for r in range(m):
            h[r] += W1T[j, r] * xj
    _activate(h, act, a, d1, d2)
    for i in range(n):
        x_out[i] = x_in[i] + b2[i] + _dot(W2[i], a)


@kernel
def _block_jacobian(W1T, W2, d1, tmp, J):
    """J = I + W2 diag(d1) W1 (W1 given as W1T)."""
    n, m = W1T.shape
    for i in range(n):
        for r in range(m):
            tmp[r] = W2[i, r] * d1[r]
        for j in range(n):
            J[i, j] = _dot(tmp, W1T[j])
        J[i, i] += 1.0


@kernel
def _residual_map(W1T, b1, W2, b2, y, target, act, h, a, d1, d2, out):
    """out = y + g(y) - target (the residual of one block's equation)."""
    _block_forward(W1T, b1, W2, b2, y, act, h, a, d1, d2, out)
    n = y.shape[0]
    for i in range(n):
        out[i] -= target[i]


# -- small dense linear algebra -------------------------------------------------------------------
@kernel
def _inverse_logdet(J, work, inv):
    """Gauss-Jordan elimination with partial pivoting: inv = J^{-1}; returns (sign, log|det J|).

    Returns sign 0.0 for a singular matrix (inv is then undefined).
    """
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            work[i, j] = J[i, j]
            inv[i, j] = 1.0 if i == j else 0.0
    sign = 1.0
    logabs = 0.0
    for col in range(n):
        piv = col
        best = abs(work[col, col])
        for i in range(col + 1, n):
            if abs(work[i, col]) > best:
                best = abs(work[i, col])
                piv = i
        if best == 0.0:
            return 0.0, -np.inf
        if piv != col:
            sign = -sign
            for j in range(n):
                t = work[col, j]
                work[col, j] = work[piv, j]
                work[piv, j] = t
                t = inv[col, j]
                inv[col, j] = inv[piv, j]
                inv[piv, j] = t
        p = work[col, col]
        if p < 0.0:
            sign = -sign
        logabs += math.log(abs(p))
        for j in range(n):
            work[col, j] /= p
            inv[col, j] /= p
        for i in range(n):
            if i != col:
                f = work[i, col]
                if f != 0.0:
                    for j in range(n):
                        work[i, j] -= f * work[col, j]
                        inv[i, j] -= f * inv[col, j]
    return sign, logabs


@kernel
def _matmul_small(A, B, out):
    """out = A @ B for small square matrices (out must not alias A or B)."""
    n = A.shape[0]
    for i in range(n):
        for j in range(n):
            s = 0.0
            for q in range(n):
                s += A[i, q] * B[q, j]
            out[i, j] = s


# -- one sample: forward with stored state, and the reverse sweep ---------------------------------
@kernel
def _forward_sample(W1T, b1, W2, b2, act, mode, x0, xs, H, A, D1, D2, Js, Jinvs, Fs, tmp, work):
    """Forward pass of one sample storing what the reverse sweep needs.

    mode REG_NONE: only the block outputs; REG_LOGDET: block Jacobians, their inverses and the
    returned sum of log det J_k (NaN if some det J_k <= 0); REG_DIVERGENCE: block Jacobians and
    the running products F_k = J_k ... J_1 (Fs[0] = I); returns tr F_B.
    """
    B, n, m = W1T.shape
    for j in range(n):
        xs[0, j] = x0[j]
    if mode == REG_DIVERGENCE:
        for i in range(n):
            for j in range(n):
                Fs[0, i, j] = 1.0 if i == j else 0.0
    reg = 0.0
    for k in range(B):
        _block_forward(W1T[k], b1[k], W2[k], b2[k], xs[k], act, H[k], A[k], D1[k], D2[k], xs[k + 1])
        if mode != REG_NONE:
            _block_jacobian(W1T[k], W2[k], D1[k], tmp, Js[k])
            if mode == REG_LOGDET:
                sign, logabs = _inverse_logdet(Js[k], work, Jinvs[k])
                if sign <= 0.0:
                    reg = np.nan
                else:
                    reg += logabs
            else:
                _matmul_small(Js[k], Fs[k], Fs[k + 1])
    if mode == REG_DIVERGENCE:
        for i in range(n):
            reg += Fs[B, i, i]
    return reg


# -- kernels over samples -------------------------------------------------------------------------
# Every kernel below is one body over a range of samples (or of chunks). Its two paths are in
# invlin.models._iresnet_drivers: ``<name>_serial`` calls the body on everything;
# ``<name>_parallel`` runs the same body on fixed chunks on the work-sharing team
# (invlin._kernels.team), so both give bitwise identical results for any number of threads, and
# the class picks the parallel one only for enough work to pay for waking the team's threads.
# Samples per tile of the structure-of-arrays objective kernel: long enough for the vectorised
# loops over samples to amortise their set-up, short enough for a tile's work arrays
# (about 3 B m TILE doubles, 0.8 MB for the canonical 4 x 64 network) to stay in L2.
TILE = 128


@kernel
def chunk_size(n_samples):
    """Samples per chunk: a function of the number of samples only (not of threads)."""
    return max(TILE, (n_samples + 127) // 128)


@kernel
def n_chunks(n_samples):
    """Number of chunks of :func:`chunk_size` samples."""
    cs = chunk_size(n_samples)
    return (n_samples + cs - 1) // cs


@kernel
def _add_chunk_slots(slots, out, pos, swap):
    """out[pos:] <- the entries of slots (count, a, b, c) summed over the first axis, in chunk
    order, row-major in (a, b, c), or in (a, c, b) with ``swap``; returns the next position.

    ``swap`` instead of a transposed view: every call sees C-contiguous slots, so the kernel
    compiles once (a transposed view is a second array type, and compiling it and
    ``np.transpose`` cost seconds of the cold start)."""
    count, a, b, c = slots.shape
    rows, cols = (c, b) if swap else (b, c)
    for i in range(a):
        for j in range(rows):
            for k in range(cols):
                jj, kk = (k, j) if swap else (j, k)
                total = slots[0, i, jj, kk]
                for chunk in range(1, count):
                    total += slots[chunk, i, jj, kk]
                out[pos] = total
                pos += 1
    return pos


@kernel
def flat_gradient(gW1T, gb1, gW2, gb2):
    """The gradient in IResNet's flat layout (W1 as (B, m, n), b1, W2, b2, each row-major) from
    the chunk slots, each entry summed over the chunks in chunk order: a fixed order, so the
    result does not depend on the threads that filled the slots. No fast-math flags: the sums
    are those of adding slot after slot."""
    count, B, n, m = gW1T.shape
    out = np.empty(B * (2 * m * n + m + n))
    pos = _add_chunk_slots(gW1T, out, 0, True)
    pos = _add_chunk_slots(gb1.reshape((count, B, m, 1)), out, pos, False)
    pos = _add_chunk_slots(gW2, out, pos, False)
    _add_chunk_slots(gb2.reshape((count, B, n, 1)), out, pos, False)
    return out


@kernel(reassociate=True)
def _sum_row(U, a, S):
    """sum_{s < S} U[a, s], reassociated (vectorised) by the flags FASTMATH."""
    total = 0.0
    for s in range(S):
        total += U[a, s]
    return total


@kernel(reassociate=True)
def _dot_rows(U, a, V, b, S):
    """sum_{s < S} U[a, s] V[b, s], reassociated (vectorised) by the flags FASTMATH."""
    total = 0.0
    for s in range(S):
        total += U[a, s] * V[b, s]
    return total


@kernel(reassociate=True)
def _objective_chunks(W1T, b1, W2, b2, act, mode, c, x, t, M, data_kind, claims, data, reg,
                      GW1T, Gb1, GW2, Gb2):
    """Data term, regulariser and gradient slots of the chunks this call claims (chunk after
    chunk with :func:`invlin._kernels.team.claim` from ``claims``, until every chunk is
    claimed); returns how many it finished.

    Structure of arrays: a chunk is processed in tiles of at most TILE samples; every work
    array (allocated once per call, reused by every chunk and tile) has the samples of a tile
    on its last axis, and every
    inner loop runs over those samples, so that LLVM vectorises across samples (the
    per-sample loops over the small dimension n would not vectorise). The mathematics per
    sample is that of :func:`_forward_sample` followed by the reverse sweep of the module
    docstring; only the order of some sums differs. The parameter adjoints are sums over the
    samples (:func:`_dot_rows`, vectorised by the fast-math flags). ``data_kind`` selects the
    data term: DATA_EUCLIDEAN |phi(x) - t|^2, DATA_METRIC |phi(x) - t|^2_M, or DATA_ADJOINT
    (no data term; ``t`` is the adjoint of the output, as for the reconstruction loss).
    """
    B, n, m = W1T.shape
    N = x.shape[0]
    cs = chunk_size(N)
    T = min(TILE, cs, N)
    cw = c / N
    X = np.empty((B + 1, n, T))
    A = np.empty((B, m, T))
    D1 = np.empty((B, m, T))
    D2 = np.empty((B, m, T))
    Js = np.empty((B, n, n, T))
    Jinvs = np.empty((B, n, n, T))
    Fs = np.empty((B + 1, n, n, T))
    h = np.empty(T)
    Jw = np.empty((n, n))
    Jinv = np.empty((n, n))
    work = np.empty((n, n))
    res = np.empty((n, T))
    value = np.empty(T)
    xbar = np.empty((n, T))
    xnew = np.empty((n, T))
    Fbar = np.empty((n, n, T))
    Jbar = np.empty((n, n, T))
    abar = np.empty(T)
    sv = np.empty(T)
    hbar = np.empty((1, T))
    rg = np.empty(T)
    count = n_chunks(N)
    finished = 0
    while True:
        ci = claim(claims)
        if ci >= count:
            break
        start = ci * cs
        stop = min(N, start + cs)
        gW1T = GW1T[ci]
        gb1 = Gb1[ci]
        gW2 = GW2[ci]
        gb2 = Gb2[ci]
        for t0 in range(start, stop, TILE):
            S = min(TILE, stop - t0)
            for s in range(S):
                rg[s] = 0.0
            for j in range(n):
                for s in range(S):
                    X[0, j, s] = x[t0 + s, j]
            if mode == REG_DIVERGENCE:
                for i in range(n):
                    for j in range(n):
                        for s in range(S):
                            Fs[0, i, j, s] = 1.0 if i == j else 0.0
            # -- forward: blocks, Jacobians, and the regulariser -----------------------------------
            for k in range(B):
                w1t = W1T[k]
                w2 = W2[k]
                xk = X[k]
                xo = X[k + 1]
                ak = A[k]
                d1k = D1[k]
                d2k = D2[k]
                Jk = Js[k]
                for i in range(n):
                    for s in range(S):
                        xo[i, s] = xk[i, s] + b2[k, i]
                if mode != REG_NONE:
                    for i in range(n):
                        for j in range(n):
                            for s in range(S):
                                Jk[i, j, s] = 1.0 if i == j else 0.0
                for r in range(m):
                    if n == 2:
                        # 2-D (the paper's experiments): h formed inside the activation loop,
                        # and the unit's terms of the block output and Jacobian in one loop
                        # (below: a loop over the samples per term)
                        w0 = w1t[0, r]
                        w1 = w1t[1, r]
                        bk = b1[k, r]
                        if act == TANH:
                            for s in range(S):
                                th = _tanh((bk + w0 * xk[0, s]) + w1 * xk[1, s])
                                d = 1.0 - th * th
                                ak[r, s] = th
                                d1k[r, s] = d
                                d2k[r, s] = -2.0 * th * d
                        elif act == SOFTCLIP:
                            for s in range(S):
                                ak[r, s], d1k[r, s], d2k[r, s] = _softclip(
                                    (bk + w0 * xk[0, s]) + w1 * xk[1, s])
                        else:
                            for s in range(S):
                                ak[r, s], d1k[r, s], d2k[r, s] = _softplus(
                                    (bk + w0 * xk[0, s]) + w1 * xk[1, s])
                        u0 = w2[0, r]
                        u1 = w2[1, r]
                        if mode == REG_NONE:
                            for s in range(S):
                                xo[0, s] += u0 * ak[r, s]
                                xo[1, s] += u1 * ak[r, s]
                        else:
                            c00 = u0 * w0
                            c01 = u0 * w1
                            c10 = u1 * w0
                            c11 = u1 * w1
                            for s in range(S):
                                a = ak[r, s]
                                d = d1k[r, s]
                                xo[0, s] += u0 * a
                                xo[1, s] += u1 * a
                                Jk[0, 0, s] += c00 * d
                                Jk[0, 1, s] += c01 * d
                                Jk[1, 0, s] += c10 * d
                                Jk[1, 1, s] += c11 * d
                        continue
                    for s in range(S):
                        h[s] = b1[k, r]
                    for j in range(n):
                        w = w1t[j, r]
                        for s in range(S):
                            h[s] += w * xk[j, s]
                    if act == TANH:
                        for s in range(S):
                            th = _tanh(h[s])
                            d = 1.0 - th * th
                            ak[r, s] = th
                            d1k[r, s] = d
                            d2k[r, s] = -2.0 * th * d
                    elif act == SOFTCLIP:
                        for s in range(S):
                            ak[r, s], d1k[r, s], d2k[r, s] = _softclip(h[s])
                    else:
                        for s in range(S):
                            ak[r, s], d1k[r, s], d2k[r, s] = _softplus(h[s])
                    for i in range(n):
                        w = w2[i, r]
                        for s in range(S):
                            xo[i, s] += w * ak[r, s]
                    if mode != REG_NONE:
                        for i in range(n):
                            for j in range(n):
                                w = w2[i, r] * w1t[j, r]
                                for s in range(S):
                                    Jk[i, j, s] += w * d1k[r, s]
                if mode == REG_LOGDET and n == 2:
                    # 2 x 2 in closed form, in loops over the samples that vectorise (the
                    # general branch below runs one pivoted elimination per sample). The
                    # determinant's relative error is at most 4 eps (|J00 J11| + |J01 J10|) / det,
                    # as Gauss-Jordan's; det <= 0 (or NaN) gives NaN, as there.
                    Jik = Jinvs[k]
                    for s in range(S):
                        det = Jk[0, 0, s] * Jk[1, 1, s] - Jk[0, 1, s] * Jk[1, 0, s]
                        inv = 1.0 / det
                        Jik[0, 0, s] = Jk[1, 1, s] * inv
                        Jik[0, 1, s] = -Jk[0, 1, s] * inv
                        Jik[1, 0, s] = -Jk[1, 0, s] * inv
                        Jik[1, 1, s] = Jk[0, 0, s] * inv
                        sv[s] = det
                    for s in range(S):
                        rg[s] += math.log(sv[s]) if sv[s] > 0.0 else np.nan
                elif mode == REG_LOGDET:
                    Jik = Jinvs[k]
                    for s in range(S):
                        for i in range(n):
                            for j in range(n):
                                Jw[i, j] = Jk[i, j, s]
                        sign, logabs = _inverse_logdet(Jw, work, Jinv)
                        if sign <= 0.0:
                            rg[s] = np.nan
                        else:
                            rg[s] += logabs
                        for i in range(n):
                            for j in range(n):
                                Jik[i, j, s] = Jinv[i, j]
                elif mode == REG_DIVERGENCE:
                    Fk = Fs[k]
                    Fo = Fs[k + 1]
                    for i in range(n):
                        for j in range(n):
                            for s in range(S):
                                Fo[i, j, s] = 0.0
                            for q in range(n):
                                for s in range(S):
                                    Fo[i, j, s] += Jk[i, q, s] * Fk[q, j, s]
            if mode == REG_DIVERGENCE:
                for i in range(n):
                    for s in range(S):
                        rg[s] += Fs[B, i, i, s]
            # -- data term and the adjoint of the output -------------------------------------------
            for i in range(n):
                for s in range(S):
                    res[i, s] = X[B, i, s] - t[t0 + s, i]
            for s in range(S):
                value[s] = 0.0
            if data_kind == DATA_ADJOINT:
                # t holds the adjoint of the output itself; no data term
                for i in range(n):
                    for s in range(S):
                        xbar[i, s] = t[t0 + s, i]
            elif data_kind == DATA_METRIC:
                for i in range(n):
                    for s in range(S):
                        sv[s] = 0.0
                    for j in range(n):
                        w = M[i, j]
                        for s in range(S):
                            sv[s] += w * res[j, s]
                    for s in range(S):
                        value[s] += res[i, s] * sv[s]
                        xbar[i, s] = 2.0 * sv[s] / N
            else:
                for i in range(n):
                    for s in range(S):
                        value[s] += res[i, s] * res[i, s]
                        xbar[i, s] = 2.0 * res[i, s] / N
            for s in range(S):
                data[t0 + s] = value[s]
                reg[t0 + s] = rg[s]
            # -- reverse sweep ---------------------------------------------------------------------
            if mode == REG_DIVERGENCE:
                for i in range(n):
                    for j in range(n):
                        for s in range(S):
                            Fbar[i, j, s] = -cw if i == j else 0.0
            for k in range(B - 1, -1, -1):
                w1t = W1T[k]
                w2 = W2[k]
                xk = X[k]
                ak = A[k]
                d1k = D1[k]
                d2k = D2[k]
                if mode == REG_LOGDET:
                    # d log det J / dJ = J^{-T}
                    Jik = Jinvs[k]
                    for i in range(n):
                        for j in range(n):
                            for s in range(S):
                                Jbar[i, j, s] = -cw * Jik[j, i, s]
                elif mode == REG_DIVERGENCE:
                    # F_k = J_k F_{k-1}: Jbar = Fbar F_{k-1}^T, Fbar <- J_k^T Fbar
                    # (Jinvs as scratch)
                    Fk = Fs[k]
                    Jk = Js[k]
                    Fn = Jinvs[k]
                    for i in range(n):
                        for j in range(n):
                            for s in range(S):
                                Jbar[i, j, s] = 0.0
                                Fn[i, j, s] = 0.0
                            for q in range(n):
                                for s in range(S):
                                    Jbar[i, j, s] += Fbar[i, q, s] * Fk[j, q, s]
                                    Fn[i, j, s] += Jk[q, i, s] * Fbar[q, j, s]
                    for i in range(n):
                        for j in range(n):
                            for s in range(S):
                                Fbar[i, j, s] = Fn[i, j, s]
                for i in range(n):
                    gb2[k, i] += _sum_row(xbar, i, S)
                    for s in range(S):
                        xnew[i, s] = xbar[i, s]
                for r in range(m):
                    if n == 2:
                        # 2-D: the terms below in one loop over the samples (the adjoint of
                        # h_r, its share of the block input's adjoint, and the unit's
                        # parameter adjoints as nine sums over the samples, reassociated and
                        # vectorised as _dot_rows' are), added to the slots in the same order
                        w20 = w2[0, r]
                        w21 = w2[1, r]
                        w10 = w1t[0, r]
                        w11 = w1t[1, r]
                        sum_h = 0.0
                        xh0 = 0.0
                        xh1 = 0.0
                        xa0 = 0.0
                        xa1 = 0.0
                        # two loops rather than one with a test of the mode inside: 5% faster
                        # for the regularisers (measured)
                        if mode == REG_NONE:
                            for s in range(S):
                                x0 = xbar[0, s]
                                x1 = xbar[1, s]
                                a = ak[r, s]
                                hb = (w20 * x0 + w21 * x1) * d1k[r, s]
                                sum_h += hb
                                xh0 += hb * xk[0, s]
                                xh1 += hb * xk[1, s]
                                xa0 += x0 * a
                                xa1 += x1 * a
                                xnew[0, s] += w10 * hb
                                xnew[1, s] += w11 * hb
                        else:
                            c00 = w20 * w10
                            c01 = w20 * w11
                            c10 = w21 * w10
                            c11 = w21 * w11
                            e00 = 0.0
                            e01 = 0.0
                            e10 = 0.0
                            e11 = 0.0
                            for s in range(S):
                                x0 = xbar[0, s]
                                x1 = xbar[1, s]
                                j00 = Jbar[0, 0, s]
                                j01 = Jbar[0, 1, s]
                                j10 = Jbar[1, 0, s]
                                j11 = Jbar[1, 1, s]
                                d = d1k[r, s]
                                a = ak[r, s]
                                hb = (w20 * x0 + w21 * x1) * d + (
                                    ((c00 * j00 + c01 * j01) + c10 * j10) + c11 * j11) * d2k[r, s]
                                e00 += d * j00
                                e01 += d * j01
                                e10 += d * j10
                                e11 += d * j11
                                sum_h += hb
                                xh0 += hb * xk[0, s]
                                xh1 += hb * xk[1, s]
                                xa0 += x0 * a
                                xa1 += x1 * a
                                xnew[0, s] += w10 * hb
                                xnew[1, s] += w11 * hb
                            gW1T[k, 0, r] += w20 * e00
                            gW2[k, 0, r] += e00 * w10
                            gW1T[k, 1, r] += w20 * e01
                            gW2[k, 0, r] += e01 * w11
                            gW1T[k, 0, r] += w21 * e10
                            gW2[k, 1, r] += e10 * w10
                            gW1T[k, 1, r] += w21 * e11
                            gW2[k, 1, r] += e11 * w11
                        gb1[k, r] += sum_h
                        gW1T[k, 0, r] += xh0
                        gW1T[k, 1, r] += xh1
                        gW2[k, 0, r] += xa0
                        gW2[k, 1, r] += xa1
                        continue
                    # adjoint of act(h_r) from the block output
                    for s in range(S):
                        abar[s] = 0.0
                    for i in range(n):
                        w = w2[i, r]
                        for s in range(S):
                            abar[s] += w * xbar[i, s]
                    if mode != REG_NONE:
                        # adjoint of act'(h_r): sum_ij W2[i, r] Jbar[i, j] W1[r, j]
                        for s in range(S):
                            sv[s] = 0.0
                        for i in range(n):
                            for j in range(n):
                                w = w2[i, r] * w1t[j, r]
                                for s in range(S):
                                    sv[s] += w * Jbar[i, j, s]
                        for s in range(S):
                            hbar[0, s] = abar[s] * d1k[r, s] + sv[s] * d2k[r, s]
                        # through act'(h_r) in J: with E_ij = sum_s act'(h_r) Jbar[i, j], W1[r, j]
                        # gains sum_i W2[i, r] E_ij and W2[i, r] gains sum_j E_ij W1[r, j]
                        for i in range(n):
                            for j in range(n):
                                e = _dot_rows(d1k, r, Jbar[i], j, S)
                                gW1T[k, j, r] += w2[i, r] * e
                                gW2[k, i, r] += e * w1t[j, r]
                    else:
                        for s in range(S):
                            hbar[0, s] = abar[s] * d1k[r, s]
                    gb1[k, r] += _sum_row(hbar, 0, S)
                    for j in range(n):
                        gW1T[k, j, r] += _dot_rows(hbar, 0, xk, j, S)
                    for i in range(n):
                        gW2[k, i, r] += _dot_rows(xbar, i, ak, r, S)
                    # adjoint of the block input
                    for j in range(n):
                        w = w1t[j, r]
                        for s in range(S):
                            xnew[j, s] += w * hbar[0, s]
                for j in range(n):
                    for s in range(S):
                        xbar[j, s] = xnew[j, s]
        finished += 1
    return finished


@kernel
def _jacobian_chunk(W1T, b1, W2, b2, act, x, mode, start, stop, jac, reg):
    """R(x_i) for the mode, and for REG_DIVERGENCE also D phi(x_i) = J_B ... J_1.

    REG_LOGDET: R = sum_k log det J_k (NaN where some det J_k <= 0), Jacobians not formed.
    REG_DIVERGENCE: the full Jacobian and R = its trace.
    """
    B, n, m = W1T.shape
    xs = np.empty((B + 1, n))
    H = np.empty((B, m))
    A = np.empty((B, m))
    D1 = np.empty((B, m))
    D2 = np.empty((B, m))
    Js = np.empty((B, n, n))
    Jinvs = np.empty((B, n, n))
    Fs = np.empty((B + 1, n, n))
    tmp = np.empty(m)
    work = np.empty((n, n))
    for s in range(start, stop):
        reg[s] = _forward_sample(W1T, b1, W2, b2, act, mode, x[s], xs, H, A, D1, D2, Js, Jinvs,
                                 Fs, tmp, work)
        if mode == REG_DIVERGENCE:
            for i in range(n):
                for j in range(n):
                    jac[s, i, j] = Fs[B, i, j]


@kernel
def _forward_chunk(W1T, b1, W2, b2, act, x, start, stop, out):
    B, n, m = W1T.shape
    h = np.empty(m)
    a = np.empty(m)
    d1 = np.empty(m)
    d2 = np.empty(m)
    cur = np.empty(n)
    nxt = np.empty(n)
    for s in range(start, stop):
        for j in range(n):
            cur[j] = x[s, j]
        for k in range(B):
            _block_forward(W1T[k], b1[k], W2[k], b2[k], cur, act, h, a, d1, d2, nxt)
            for j in range(n):
                cur[j] = nxt[j]
        for j in range(n):
            out[s, j] = cur[j]


@kernel
def _inverse_chunk(W1T, b1, W2, b2, act, u, block_tol, max_iter, newton, start, stop, out, iters,
                   ok):
    """Invert phi block by block in reverse: solve y + g_k(y) = target for k = B, ..., 1.

    Fixed-point iteration y <- target - g_k(y) (a contraction with rate Lip(g_k) < 1) until the
    block residual |y + g_k(y) - target| <= block_tol; with ``newton``, Newton steps
    y <- y - J_k(y)^{-1} (y + g_k(y) - target) from the first iterate instead, a step that does
    not reduce the residual undone and replaced by a fixed-point step (which shrinks the
    residual by the factor Lip(g_k)), so the iteration converges from any start. Records the
    iterations per sample (summed over blocks) and whether every block met block_tol.
    """
    B, n, m = W1T.shape
    h = np.empty(m)
    a = np.empty(m)
    d1 = np.empty(m)
    d2 = np.empty(m)
    tmp = np.empty(m)
    target = np.empty(n)
    y = np.empty(n)
    e = np.empty(n)
    e_before = np.empty(n)
    step = np.empty(n)
    J = np.empty((n, n))
    Jinv = np.empty((n, n))
    work = np.empty((n, n))
    for s in range(start, stop):
        for j in range(n):
            target[j] = u[s, j]
        for k in range(B - 1, -1, -1):
            for j in range(n):
                y[j] = target[j]
            it = 0
            _residual_map(W1T[k], b1[k], W2[k], b2[k], y, target, act, h, a, d1, d2, e)
            norm = _norm(e)
            # "not norm <= block_tol": a NaN residual keeps iterating, so a NaN coordinate of a
            # point spreads to all of its coordinates (never a partly finite preimage)
            if not newton:
                while not norm <= block_tol and it < max_iter:
                    for j in range(n):
                        y[j] -= e[j]
                    it += 1
                    _residual_map(W1T[k], b1[k], W2[k], b2[k], y, target, act, h, a, d1, d2, e)
                    norm = _norm(e)
            else:
                while not norm <= block_tol and it < max_iter:
                    _block_jacobian(W1T[k], W2[k], d1, tmp, J)
                    sign, _ = _inverse_logdet(J, work, Jinv)
                    if sign == 0.0:
                        break
                    for i in range(n):
                        acc = 0.0
                        for j in range(n):
                            acc += Jinv[i, j] * e[j]
                        step[i] = acc
                    for i in range(n):
                        y[i] -= step[i]
                        e_before[i] = e[i]
                    it += 1
                    _residual_map(W1T[k], b1[k], W2[k], b2[k], y, target, act, h, a, d1, d2, e)
                    new_norm = _norm(e)
                    if new_norm >= norm:
                        # no progress (outside Newton's region): a fixed-point step instead
                        for i in range(n):
                            y[i] += step[i] - e_before[i]
                        _residual_map(W1T[k], b1[k], W2[k], b2[k], y, target, act, h, a, d1, d2,
                                      e)
                        new_norm = _norm(e)
                    norm = new_norm
            if norm > block_tol:
                ok[s] = False
            iters[s] += it
            for j in range(n):
                target[j] = y[j]
        for j in range(n):
            out[s, j] = target[j]


@kernel
def _norm(v):
    s = 0.0
    for j in range(v.shape[0]):
        s += v[j] * v[j]
    return math.sqrt(s)


@kernel
def _hutchinson_chunk(W1T, b1, W2, b2, act, x, probes, order, mode, start, stop, est):
    """Per-sample, per-probe Hutchinson estimates of R(x_i).

    mode REG_LOGDET: sum over blocks of the truncated series
    sum_{j=1}^{order} (-1)^{j+1} v^T J_g^j v / j (J_g = J_k - I), one probe v for all blocks.
    mode REG_DIVERGENCE: v^T D phi v by forward-mode products through the blocks (order unused).
    Only Jacobian-vector products are used (cost O(n m) each), never an n x n matrix.
    """
    B, n, m = W1T.shape
    n_probes = probes.shape[1]
    h = np.empty(m)
    a = np.empty(m)
    D1 = np.empty((B, m))
    d2 = np.empty(m)
    cur = np.empty(n)
    nxt = np.empty(n)
    w = np.empty(n)
    wn = np.empty(n)
    hv = np.empty(m)
    for s in range(start, stop):
        for j in range(n):
            cur[j] = x[s, j]
        for k in range(B):
            _block_forward(W1T[k], b1[k], W2[k], b2[k], cur, act, h, a, D1[k], d2, nxt)
            for j in range(n):
                cur[j] = nxt[j]
        for p in range(n_probes):
            v = probes[s, p]
            total = 0.0
            if mode == REG_DIVERGENCE:
                for j in range(n):
                    w[j] = v[j]
            for k in range(B):
                if mode == REG_LOGDET:
                    for j in range(n):
                        w[j] = v[j]
                    sign = 1.0
                    for power in range(1, order + 1):
                        _jg_vector(W1T[k], W2[k], D1[k], w, hv, wn)
                        dot = 0.0
                        for j in range(n):
                            w[j] = wn[j]
                            dot += v[j] * wn[j]
                        total += sign * dot / power
                        sign = -sign
                else:
                    _jg_vector(W1T[k], W2[k], D1[k], w, hv, wn)
                    for j in range(n):
                        w[j] += wn[j]
            if mode == REG_DIVERGENCE:
                for j in range(n):
                    total += v[j] * w[j]
            est[s, p] = total


@kernel
def _jg_vector(W1T, W2, d1, w, hv, out):
    """out = J_g w = W2 diag(d1) W1 w."""
    n, m = W1T.shape
    for r in range(m):
        hv[r] = 0.0
    for j in range(n):
        wj = w[j]
        for r in range(m):
            hv[r] += W1T[j, r] * wj
    for r in range(m):
        hv[r] *= d1[r]
    for i in range(n):
        out[i] = _dot(W2[i], hv)
