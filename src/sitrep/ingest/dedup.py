"""Duplicate detection: content hashes for exact copies, MinHash LSH (datasketch) for near-duplicates.

Signatures and band buckets live in the store, so the index never forces the corpus into memory.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_TOKEN = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising false positives and negatives; costly, so computed once."""
    from datasketch.lsh import _optimal_param  # here, not at the top: datasketch imports scipy (0.7 s)

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def content_hash(clean_text: str) -> str:
    """SHA-256 of the clean text with whitespace and case normalised: equal for exact copies."""
    norm = " ".join(clean_text.split()).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NearDupIndex:
    """MinHash parameters and the banding that LSH uses; pure functions of a text, no state."""

    threshold: float = 0.8
    num_perm: int = 128
    shingle: int = 3  # word n-grams

    @property
    def bands(self) -> tuple[int, int]:
        return _bands(self.threshold, self.num_perm)

    def signature(self, text: str) -> tuple[bytes, list[tuple[int, int]]]:
        """(signature bytes, [(band, bucket)]) for a text."""
        from datasketch import MinHash

        words = [w.casefold() for w in _TOKEN.findall(text)]
        k = self.shingle
        grams = {" ".join(words[i : i + k]).encode("utf-8") for i in range(max(1, len(words) - k + 1))}
        m = MinHash(num_perm=self.num_perm)
        m.update_batch(list(grams))
        values = np.asarray(m.hashvalues, dtype=np.uint32)
        b, r = self.bands
        buckets = []
        for band in range(b):
            chunk = values[band * r : (band + 1) * r].tobytes()
            bucket = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True)
            buckets.append((band, bucket))
        return values.tobytes(), buckets

    @staticmethod
    def similarity(a: bytes, b: bytes) -> float:
        """Estimated Jaccard similarity of two signatures."""
        x, y = np.frombuffer(a, dtype=np.uint32), np.frombuffer(b, dtype=np.uint32)
        if len(x) != len(y) or not len(x):
            return 0.0
        return float(np.count_nonzero(x == y)) / len(x)
