"""cffi build script for the C keyspace table (out-of-line API mode).

setup.py names ``bindings/build_table.py:ffibuilder`` in ``cffi_modules``;
``python bindings/build_table.py --inplace`` builds ``kvengine/_native/_table*.so``
next to the sources for development.

``KVENGINE_SANITIZE=1`` (with --inplace) builds the same table under AddressSanitizer
and UndefinedBehaviorSanitizer instead, as a separate module, ``_table_asan*.so``,
which never replaces the normal one; ctable.py loads it when KVENGINE_SANITIZE=1 is
set at run time (``make test-sanitize`` does both, and preloads libasan).
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


SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer"]


def sanitize() -> bool:
    """True when KVENGINE_SANITIZE asks for the sanitizer build."""
    return os.environ.get("KVENGINE_SANITIZE", "") not in ("", "0")


def make_builder(absolute: bool = False, sanitized: bool = False) -> FFI:
    """The FFI builder; setuptools wants paths relative to setup.py, while an
    in-place build compiles in a temporary directory and needs absolute ones.
    `sanitized` builds ``_table_asan`` under ASan and UBSan (-O1 -g, for stacks)."""
    native = NATIVE if absolute else os.path.join("kvengine", "_native")
    builder = FFI()
    builder.cdef(_cdef())
    warnings = ["-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    builder.set_source(
        "kvengine._native._table_asan" if sanitized else "kvengine._native._table",
        '#include "table.h"',
        sources=[os.path.join(native, "table.c")],
        include_dirs=[native],
        extra_compile_args=(["-O1", "-g", *SANITIZE_FLAGS] if sanitized else ["-O2"]) + warnings,
        extra_link_args=SANITIZE_FLAGS if sanitized else [],
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    if "--inplace" in sys.argv:
        import shutil
        import sysconfig
        import tempfile

        os.chdir(ROOT)
        sanitized = sanitize()
        with tempfile.TemporaryDirectory() as tmp:
            lib = make_builder(absolute=True, sanitized=sanitized).compile(tmpdir=tmp, verbose="-v" in sys.argv)
            suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            target = os.path.join(NATIVE, ("_table_asan" if sanitized else "_table") + suffix)
            # A new file, then a rename: a process that has the old .so mapped keeps it intact.
            shutil.copy(lib, target + ".tmp")
            os.replace(target + ".tmp", target)
            print(target)
    else:
        os.chdir(ROOT)
        make_builder(absolute=True).compile(verbose=True)
