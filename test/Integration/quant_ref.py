"""Reference block quantization (GGUF's Q8_0, Q4_0, Q4_1) in numpy.

An independent implementation of the formats of runtime/include/loom/loom_abi.h,
written from the GGUF format description (ggml's reference quantizers: round
to nearest, half-precision scales), for the tests: `quantize` returns the
bytes of a [n, k] matrix, `dequantize` decodes them, and
`fake_quantize` is the round trip the tests' PyTorch references compute on.
"""

import numpy as np

BLOCK = 32
BLOCK_BYTES = {"q8_0": 34, "q4_0": 18, "q4_1": 20}


def _round_away(x):
    """C's roundf: halves away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def _inverse(d):
    with np.errstate(divide="ignore"):
        return np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)


def quantize(w, fmt):
    """The bytes of float32 matrix `w` ([n, k], k a multiple of 32)."""
    w = np.asarray(w, dtype=np.float32)
    n, k = w.shape
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
