"""Reference block quantization (GGUF's Q8_0, Q4_0, Q4_1, Q4_K) in numpy.

An independent implementation of the formats of runtime/include/loom/loom_abi.h,
written from the GGUF format description (ggml's reference quantizers: round
to nearest, half-precision scales; Q4_K by the runtime's rule of
runtime/lib/QuantK.cpp), for the tests: `quantize` returns the
bytes of a [n, k] matrix, `dequantize` decodes them, and
`fake_quantize` is the round trip the tests' PyTorch references compute on.
"""

import numpy as np

BLOCK = 32
SUPER_BLOCK = 256
BLOCK_BYTES = {"q8_0": 34, "q4_0": 18, "q4_1": 20, "q4_k": 144, "int8": 32,
               "q6_k": 210}


def _round_away(x):
    """C's roundf: halves away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def _inverse(d):
    with np.errstate(divide="ignore"):
        return np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)


def _quantize_q4_k(w):
    """Q4_K bytes of `w` ([n, k], k a multiple of 256): each sub-block's
    range (its minimum at most 0) rounded to 6-bit levels of the
    super-block's largest scale and offset, then each weight to nearest."""
    n, k = w.shape
    x = w.reshape(n, k // SUPER_BLOCK, 8, BLOCK)
    mn = np.minimum(x.min(axis=3), np.float32(0))
    scale = ((x.max(axis=3) - mn) / np.float32(15)).astype(np.float32)
    offset = -mn
    d = (scale.max(axis=2) / np.float32(63)).astype(np.float16)
    dmin = (offset.max(axis=2) / np.float32(63)).astype(np.float16)
    df, dminf = d.astype(np.float32), dmin.astype(np.float32)
    sc = np.clip(np.rint(scale * _inverse(df)[..., None]), 0, 63).astype(np.uint8)
    m = np.clip(np.rint(offset * _inverse(dminf)[..., None]), 0, 63).astype(np.uint8)
    step = (df[..., None] * sc.astype(np.float32)).astype(np.float32)
    shift = (dminf[..., None] * m.astype(np.float32)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (x + shift[..., None]) / step[..., None]
    q = np.where(step[..., None] != 0, np.clip(np.rint(v), 0, 15), 0).astype(np.uint8)
    packed = np.zeros(d.shape + (12,), dtype=np.uint8)
    packed[..., 0:4] = (sc[..., :4] & 63) | ((sc[..., 4:] >> 4) << 6)
    packed[..., 4:8] = (m[..., :4] & 63) | ((m[..., 4:] >> 4) << 6)
    packed[..., 8:12] = (sc[..., 4:] & 15) | ((m[..., 4:] & 15) << 4)
    pairs = q.reshape(n, k // SUPER_BLOCK, 4, 2, BLOCK)
    nibbles = (pairs[:, :, :, 0, :] | (pairs[:, :, :, 1, :] << 4)).reshape(
        n, k // SUPER_BLOCK, 128)
    out = np.concatenate([d[..., None].view(np.uint8), dmin[..., None].view(np.uint8),
                          packed, nibbles], axis=2)
    return np.ascontiguousarray(out.reshape(n, -1))


def _dequantize_q4_k(data, k):
    """The float32 [n, k] matrix of Q4_K bytes, decoded as loom_abi.h says."""
    n = data.shape[0]
    b = data.reshape(n, k // SUPER_BLOCK, 144)
    d = b[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    dmin = b[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    s = b[..., 4:16].astype(np.uint32)
    sc = np.concatenate([s[..., 0:4] & 63,
                         (s[..., 8:12] & 15) | ((s[..., 0:4] >> 6) << 4)], axis=2)
    m = np.concatenate([s[..., 4:8] & 63,
                        (s[..., 8:12] >> 4) | ((s[..., 4:8] >> 6) << 4)], axis=2)
    nib = b[..., 16:].reshape(n, k // SUPER_BLOCK, 4, 1, BLOCK)
    q = ((nib >> np.array([0, 4], dtype=np.uint8).reshape(1, 1, 1, 2, 1)) & 15)
    q = q.reshape(n, k // SUPER_BLOCK, 8, BLOCK).astype(np.float32)
    step = d[..., None] * sc.astype(np.float32)
    shift = dmin[..., None] * m.astype(np.float32)
    return (step[..., None] * q - shift[..., None]).reshape(n, k).astype(np.float32)


def _quantize_q6_k(w):
    """Q6_K bytes of `w` ([n, k], k a multiple of 256), as GGUF lays them
    out: each 16 weights' largest magnitude to 31 steps of its int8 scale,
    the scales in steps of d (the largest to 127). A simple rounding of its
    own (the runtime only decodes Q6_K; GGUF files bring it)."""
    n, k = w.shape
    x = w.reshape(n, k // SUPER_BLOCK, 16, 16)
    scale = (np.abs(x).max(axis=3) / np.float32(31)).astype(np.float32)
    d = (scale.max(axis=2) / np.float32(127)).astype(np.float16)
    df = d.astype(np.float32)
    sc = np.clip(np.rint(scale * _inverse(df)[..., None]), 0, 127).astype(np.int8)
    step = (df[..., None] * sc.astype(np.float32)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = x / step[..., None]
    q = (np.where(step[..., None] != 0, np.clip(np.rint(v), -32, 31), 0)
         + 32).astype(np.uint8).reshape(n, k // SUPER_BLOCK, 2, 4, 32)
    # Quarter t of half h: low nibbles in ql[h, 32 (t & 1) + l] (shifted by
    # 4 (t >> 1)), high bits in qh[h, l] (shifted by 2 t).
    low, high = q & 15, q >> 4
    ql = np.concatenate([low[:, :, :, 0] | (low[:, :, :, 2] << 4),
                         low[:, :, :, 1] | (low[:, :, :, 3] << 4)], axis=3)
    qh = (high[:, :, :, 0] | (high[:, :, :, 1] << 2) | (high[:, :, :, 2] << 4)
          | (high[:, :, :, 3] << 6))
    blocks = n, k // SUPER_BLOCK
    out = np.concatenate([ql.reshape(*blocks, 128), qh.reshape(*blocks, 64),
                          sc.view(np.uint8), d[..., None].view(np.uint8)], axis=2)
    return np.ascontiguousarray(out.reshape(n, -1))


def _dequantize_q6_k(data, k):
    """The float32 [n, k] matrix of Q6_K bytes, decoded as loom_abi.h says."""
    n = data.shape[0]
    b = data.reshape(n, k // SUPER_BLOCK, 210)
    ql = b[..., :128].reshape(n, -1, 2, 2, 32)   # half, 32 (t & 1), l
    qh = b[..., 128:192].reshape(n, -1, 2, 32)   # half, l
    sc = b[..., 192:208].view(np.int8).astype(np.float32)
    d = b[..., 208:210].copy().view(np.float16)[..., 0].astype(np.float32)
    quarters = []
    for t in range(4):
        low = (ql[:, :, :, t & 1, :] >> (4 * (t >> 1))) & 15
        high = (qh >> (2 * t)) & 3
        quarters.append((low | (high << 4)).astype(np.float32) - 32)
    q = np.stack(quarters, axis=3).reshape(n, -1, 16, 16)
    return (d[..., None, None] * sc[..., None] * q).reshape(n, k).astype(np.float32)


def quantize(w, fmt):
    """The bytes of float32 matrix `w` ([n, k], k a multiple of the block)."""
    w = np.asarray(w, dtype=np.float32)
    n, k = w.shape
    if fmt == "q4_k":
        assert k % SUPER_BLOCK == 0, "rows must be whole super-blocks"
        return _quantize_q4_k(w)
    if fmt == "q6_k":
        assert k % SUPER_BLOCK == 0, "rows must be whole super-blocks"
        return _quantize_q6_k(w)
    if fmt == "int8":
        # Per channel: the row's f32 scale (its largest magnitude to 127),
        # then the row's int8s.
        d = (np.abs(w).max(axis=1) / np.float32(127)).astype(np.float32)
        q = np.clip(_round_away(w * _inverse(d)[:, None]), -127, 127).astype(np.int8)
        return np.ascontiguousarray(np.concatenate(
            [d[:, None].view(np.uint8), q.view(np.uint8)], axis=1))
    assert k % BLOCK == 0, "rows must be whole blocks"
    x = w.reshape(n, k // BLOCK, BLOCK)
    if fmt == "q8_0":
        d = (np.abs(x).max(axis=2) / np.float32(127)).astype(np.float32)
        q = _round_away(x * _inverse(d)[..., None]).astype(np.int8)
        out = np.concatenate([d.astype(np.float16)[..., None].view(np.uint8),
                              q.view(np.uint8)], axis=2)
    elif fmt in ("q4_0", "q4_1"):
        if fmt == "q4_0":
            idx = np.abs(x).argmax(axis=2)
            mx = np.take_along_axis(x, idx[..., None], axis=2)[..., 0]
            d = (mx / np.float32(-8)).astype(np.float32)
            v = x * _inverse(d)[..., None] + np.float32(8.5)
            head = d.astype(np.float16)[..., None].view(np.uint8)
        else:
            mn, mx = x.min(axis=2), x.max(axis=2)
            d = ((mx - mn) / np.float32(15)).astype(np.float32)
            v = (x - mn[..., None]) * _inverse(d)[..., None] + np.float32(0.5)
            head = np.concatenate([d.astype(np.float16)[..., None].view(np.uint8),
                                   mn.astype(np.float16)[..., None].view(np.uint8)],
                                  axis=2)
        q = np.minimum(np.trunc(v), 15).astype(np.uint8)  # (int8_t) truncates
        packed = q[..., :16] | (q[..., 16:] << 4)
        out = np.concatenate([head, packed], axis=2)
    else:
        raise ValueError("unknown format %r" % fmt)
    return np.ascontiguousarray(out.reshape(n, -1))


def dequantize(data, fmt, k):
    """The float32 [n, k] matrix the bytes `data` ([n, row bytes]) hold."""
    if fmt == "q4_k":
        return _dequantize_q4_k(data, k)
    if fmt == "q6_k":
        return _dequantize_q6_k(data, k)
    if fmt == "int8":
        d = data[:, :4].copy().view(np.float32)
        return (d * data[:, 4:].view(np.int8).astype(np.float32)).astype(np.float32)
    n = data.shape[0]
    b = data.reshape(n, k // BLOCK, BLOCK_BYTES[fmt])
    d = b[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    if fmt == "q8_0":
        q = b[..., 2:].view(np.int8).astype(np.float32)
        x = d[..., None] * q
    else:
        start = 2 if fmt == "q4_0" else 4
        nib = b[..., start:]
        q = np.concatenate([nib & 0xF, nib >> 4], axis=2).astype(np.float32)
        if fmt == "q4_0":
            x = d[..., None] * (q - 8)
        else:
            m = b[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
            x = d[..., None] * q + m[..., None]
    return x.reshape(n, k).astype(np.float32)


def fake_quantize(w, fmt):
    """`w` rounded through format `fmt`."""
    w = np.asarray(w, dtype=np.float32)
    return dequantize(quantize(w, fmt), fmt, w.shape[1])
