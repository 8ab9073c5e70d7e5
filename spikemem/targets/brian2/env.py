"""Brian2's global state, held for the length of one build or run and then restored.

Brian2 keeps preferences and the active device in module globals. spikemem never leaves them
changed: `exact_prefs` sets what bit-exact float64 needs (no loop-invariant rewriting, no
fast-math/FMA contraction, a cython cache of its own) only while a spikemem simulation builds
or runs; `runtime_device` / `standalone_device` switch Brian2's device for that time only.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from contextlib import contextmanager

#: gcc flags for cython and cpp_standalone: like Brian2's defaults, minus -ffast-math, and
#: with FMA contraction off (a*b + c must round twice, as in numpy)
EXACT_GCC_ARGS = ["-w", "-O3", "-fno-fast-math", "-ffp-contract=off", "-march=native",
                  "-std=c++11"]


def _cython_cache_dir() -> str:
    from brian2.codegen.runtime.cython_rt.extension_manager import get_cython_cache_dir
    return os.path.join(get_cython_cache_dir(), "spikemem_exact_fp")


@contextmanager
def exact_prefs(codegen_target: str):
    """Set Brian2's preferences for an exact spikemem build/run; restore them on exit.

    codegen_target: 'numpy' or 'cython' (ignored by the standalone device).
    """
    from brian2 import prefs
    wanted = {
        "codegen.target": codegen_target,
        "codegen.loop_invariant_optimisations": False,
        "codegen.cpp.extra_compile_args_gcc": list(EXACT_GCC_ARGS),
        "codegen.cpp.extra_compile_args": None,
    }
    if codegen_target == "cython":
        wanted["codegen.runtime.cython.cache_dir"] = _cython_cache_dir()
    old = {key: prefs[key] for key in wanted}
    try:
        for key, value in wanted.items():
            prefs[key] = value
        yield
    finally:
        for key, value in old.items():
            prefs[key] = value


def _switch(target, **options):
    """Make `target` Brian2's device; returns a function that restores the previous one."""
    from brian2.devices.device import get_device, set_device
    prev = get_device()
    prev_opts = dict(getattr(prev, "build_options", {}) or {})
    prev_build_on_run = getattr(prev, "build_on_run", True)
    set_device(target, **options)

    def restore():
        set_device(prev, build_on_run=prev_build_on_run, **prev_opts)
    return restore


@contextmanager
def runtime_device():
    """Brian2's runtime device (numpy/cython code objects) for the duration."""
    from brian2.devices.device import all_devices, get_device
    if get_device() is all_devices["runtime"]:
        yield
        return
    restore = _switch("runtime")
    try:
        yield
    finally:
        restore()


_BUILD_DIR = None


def standalone_directory() -> str:
    """This process's cpp_standalone project directory, reused by every build so that make
    recompiles only the files whose code changed; removed when the process exits."""
    global _BUILD_DIR
    if _BUILD_DIR is None:
        _BUILD_DIR = tempfile.mkdtemp(prefix="spikemem-brian2-standalone-")
        atexit.register(shutil.rmtree, _BUILD_DIR, True)
    return _BUILD_DIR


@contextmanager
def standalone_device():
    """A fresh cpp_standalone device (build_on_run=False) for one build; on exit its state is
    dropped (device.reinit()) and the previous device is active again. Yields the device."""
    from brian2.devices.device import get_device
    restore = _switch("cpp_standalone", build_on_run=False, directory=standalone_directory())
    dev = get_device()
    try:
        dev.reinit()
        dev.activate(build_on_run=False, directory=standalone_directory())
        yield dev
    finally:
        dev.reinit()
        restore()
