#!/usr/bin/python3
"""Writes fuzz/regressions/torchscript_fuzzer/binunicode-length-allocates-4gib.

Copies lasnn/interop/testdata/torchscript_teacher.pt (a valid TorchScript teacher) with one
opcode put at the start of its data.pkl: BINUNICODE ('X') with the length 0xFFFFFF00, which makes
LibTorch's unpickler allocate (and zero) 4 GiB before it finds the archive too short. The zip is
rewritten uncompressed so its CRCs stay valid. Run from the repository root with Debian's
python3 (no torch needed):
  /usr/bin/python3 fuzz/make_torchscript_regressions.py
"""
import struct
import zipfile

SRC = "lasnn/interop/testdata/torchscript_teacher.pt"
DST = "fuzz/regressions/torchscript_fuzzer/binunicode-length-allocates-4gib"

with zipfile.ZipFile(SRC) as zin, zipfile.ZipFile(DST, "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename.endswith("/data.pkl"):
            data = data[:2] + b"X" + struct.pack("<I", 0xFFFFFF00) + data[2:]
        entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
        zout.writestr(entry, data)
