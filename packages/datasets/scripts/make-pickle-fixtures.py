#!/usr/bin/env python3
"""Writes test/fixtures/bin-proto{2,3,4,5}.pkl: `.bin`-shaped pickles made by CPython's own pickle module.

The blobs are deterministic so the tests can rebuild them (see expectedFixtureBlobs in test/pickle.test.ts):
lengths around the SHORT_/long opcode boundary (255/256), one 70,000-byte blob (written outside FRAMEs at
protocol 4+), one empty blob (`bytes()` via REDUCE at protocol 2), every byte value 0-255, and one object that
appears twice (the pickler then writes a memo reference).
Run from the package folder: python3 scripts/make-pickle-fixtures.py
"""
import pickle


def blob(k, n):
    return bytes((((k * 31 + i * 7) ^ (i >> 3)) & 0xFF) for i in range(n))


def fixture():
    bins = [blob(k, n) for k, n in enumerate([1, 100, 255, 256, 300, 1000, 70000, 3])]
    bins.append(bins[2])  # same object again -> BINGET
    bins.append(bytes(range(256)))
    bins.append(b"")
    bins.append(blob(9, 5))
    issame = [True, False, False, True, True, False]
    return bins, issame


if __name__ == "__main__":
    data = fixture()
    for proto in (2, 3, 4, 5):
        with open(f"test/fixtures/bin-proto{proto}.pkl", "wb") as f:
            pickle.dump(data, f, protocol=proto)
