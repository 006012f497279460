"""The matrix product at the heart of the spaCy model's tok2vec layers, on one core, through blis (what thinc uses
by default) and through numpy's BLAS (what `sitrep.nlp.models.load_model` uses): GFLOP/s of each, and whether they
agree. The shape is a batch of 3,000 tokens through a 288 x 288 maxout layer.

    .venv/bin/python bench/blas.py [--repeat 200]
"""
from __future__ import annotations

import argparse
import time

import blis.py
import numpy
from threadpoolctl import threadpool_limits


def gflops(fn, a: numpy.ndarray, b: numpy.ndarray, repeat: int) -> float:
    fn(a, b)
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn(a, b)
    seconds = (time.perf_counter() - t0) / repeat
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / seconds / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    threadpool_limits(limits=1, user_api="blas")  # one core, as each sitrep worker process
    rng = numpy.random.default_rng(0)
    a = rng.random((3000, 288), dtype=numpy.float32)
    b = rng.random((288, 288), dtype=numpy.float32)
    numpy_rate = gflops(lambda x, y: x @ y, a, b, args.repeat)
    blis_rate = gflops(lambda x, y: blis.py.gemm(x, y), a, b, args.repeat)
    close = numpy.allclose(a @ b, blis.py.gemm(a, b), rtol=1e-5, atol=1e-3)
    print(f"numpy's BLAS: {numpy_rate:.1f} GFLOP/s; blis: {blis_rate:.1f} GFLOP/s; "
          f"ratio {numpy_rate / blis_rate:.1f}; results agree: {close}")


if __name__ == "__main__":
    main()
