"""Build script: only the cffi extension lives here; metadata is in pyproject.toml.

Set KVENGINE_PUREPYTHON=1 at build time to skip the C table (the pure-Python twin is
then used at run time).
"""

import os

from setuptools import setup

cffi_modules = []
if os.environ.get("KVENGINE_PUREPYTHON", "") in ("", "0"):
    cffi_modules = ["bindings/build_table.py:ffibuilder"]

setup(cffi_modules=cffi_modules)
