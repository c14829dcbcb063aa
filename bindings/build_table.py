"""cffi build script for the C keyspace table (out-of-line API mode).

setup.py names ``bindings/build_table.py:ffibuilder`` in ``cffi_modules``;
``python bindings/build_table.py --inplace`` builds ``kvengine/_native/_table*.so``
next to the sources for development.
"""

from __future__ import annotations

import os
import re
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NATIVE = os.path.join(ROOT, "kvengine", "_native")


def _cdef() -> str:
    """The declarations of table.h that cffi needs (preprocessor lines dropped)."""
    with open(os.path.join(NATIVE, "table.h")) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#define KVT_"):
            name, value = stripped.split()[1:3]
            # cffi cannot parse "(-1)" in a #define: declare negative ones as constants.
            lines.append(f"static const int {name};" if value.startswith("(-")
                         else f"#define {name} {value}")
        elif stripped.startswith("#"):
            continue
        else:
            lines.append(line)
    return "\n".join(lines)


def make_builder(absolute: bool = False) -> FFI:
    """The FFI builder; setuptools wants paths relative to setup.py, while an
    in-place build compiles in a temporary directory and needs absolute ones."""
    native = NATIVE if absolute else os.path.join("kvengine", "_native")
    builder = FFI()
    builder.cdef(_cdef())
    builder.set_source(
        "kvengine._native._table",
        '#include "table.h"',
        sources=[os.path.join(native, "table.c")],
        include_dirs=[native],
        extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    if "--inplace" in sys.argv:
        import shutil
        import sysconfig
        import tempfile

        os.chdir(ROOT)
        with tempfile.TemporaryDirectory() as tmp:
            lib = make_builder(absolute=True).compile(tmpdir=tmp, verbose="-v" in sys.argv)
            suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            target = os.path.join(NATIVE, "_table" + suffix)
            shutil.copy(lib, target)
            print(target)
    else:
        os.chdir(ROOT)
        make_builder(absolute=True).compile(verbose=True)
