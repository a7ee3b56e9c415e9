#!/usr/bin/env python3
"""Lists non-test source files over 600 lines and functions over 120 lines.

A function is counted from a line at column 0 that opens a body ('{' at the
end) to the next '}' at column 0. Exit status 1 if anything is listed.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILE_LIMIT, FUNCTION_LIMIT = 600, 120
found = False
for path in sorted(ROOT.glob("**/*")):
    rel = path.relative_to(ROOT)
    if path.suffix not in (".cc", ".h") or rel.parts[0] in ("tests", ".git") or rel.parts[0].startswith("build"):
        continue
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) > FILE_LIMIT:
        print(f"{rel}: {len(lines)} lines")
        found = True
    start = None
    signature = None
    for i, line in enumerate(lines):
        if start is None and signature is None and line and not line[0].isspace() and "(" in line \
                and not line.startswith(("namespace", "class", "struct", "enum", "#", "//")):
            signature = i
        if start is None and signature is not None:
            if line.rstrip().endswith(";"):
                signature = None
            elif line.rstrip().endswith("{"):
                start, signature = signature, None
        elif start is not None and line.startswith("}"):
            if i - start + 1 > FUNCTION_LIMIT:
                print(f"{rel}:{start + 1}: function of {i - start + 1} lines: {lines[start].strip()[:60]}")
                found = True
            start = None
sys.exit(1 if found else 0)
