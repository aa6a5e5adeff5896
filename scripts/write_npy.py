#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a float32 .npy of the given shape with values (i % 13) / 13, without NumPy: inputs for `hpusim kernel`
examples. Usage: scripts/write_npy.py FILE.npy 64x300"""
import struct
import sys

path, shape = sys.argv[1], tuple(int(d) for d in sys.argv[2].split("x"))
count = 1
for d in shape:
    count *= d
header = str({"descr": "<f4", "fortran_order": False, "shape": shape})
header += " " * (63 - (10 + len(header)) % 64) + "\n"  # the whole header a multiple of 64 bytes, as NumPy writes it
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(struct.pack(f"<{count}f", *[(i % 13) / 13 for i in range(count)]))
