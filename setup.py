"""Build convkit: one extension module, ``convkit._ext._core``, made of the Cython glue and the C core.

Instruction-set flags go only on the files written for that instruction set (``csrc/x86/avx2``,
``csrc/x86/avx512``); everything else is compiled for baseline x86-64 so the wheel runs on any
x86-64 CPU and the dispatch table picks the fast kernels at run time. OpenMP is used when a test
compile shows the compiler supports it.

Environment switches (for developers, never needed by users):
  CONVKIT_DEBUG=1      keep asserts, -O1 -g
  CONVKIT_SANITIZE=1   build with AddressSanitizer + UndefinedBehaviorSanitizer
  CONVKIT_NO_OPENMP=1  build without OpenMP even where it is available
"""
import os
import platform
import sys
import tempfile
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")

# Flags per instruction-set folder; the match is on the path of the source file.
ISA_FLAGS = {
    os.path.join("csrc", "x86", "avx2") + os.sep: ["-mavx2", "-mfma", "-mf16c"],
    os.path.join("csrc", "x86", "avx512") + os.sep: [
        "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"],
}


def _env_flag(name):
    return os.environ.get(name, "").strip() not in ("", "0", "false", "no")


def c_sources():
    srcs = sorted(glob(os.path.join("csrc", "**", "*.c"), recursive=True))
    if not IS_X86:
        srcs = [s for s in srcs if not s.startswith(os.path.join("csrc", "x86"))]
    return srcs


class BuildExt(build_ext):
    def _compiler_accepts(self, flags, code):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write(code)
            try:
                objs = self.compiler.compile([src], output_dir=tmp, extra_postargs=flags)
                self.compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
            except Exception:
                return False
        return True

    def build_extensions(self):
        unix = self.compiler.compiler_type == "unix"
        common = []
        link = []
        if unix:
            debug = _env_flag("CONVKIT_DEBUG")
            common += ["-std=c11", "-fvisibility=hidden", "-fno-math-errno",
                       "-Wall", "-Wno-unused-function", "-Wno-unreachable-code"]
            common += ["-O1", "-g"] if debug else ["-O3", "-DNDEBUG"]
            if _env_flag("CONVKIT_SANITIZE"):
                san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
                common += san
                link += san
            omp_code = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
            if not _env_flag("CONVKIT_NO_OPENMP") and self._compiler_accepts(["-fopenmp"], omp_code):
                common += ["-fopenmp", "-DCK_HAVE_OPENMP=1"]
                link += ["-fopenmp"]
                print("convkit: building with OpenMP")
            else:
                print("convkit: building without OpenMP (single-threaded kernels)")
        for ext in self.extensions:
            ext.extra_compile_args = list(ext.extra_compile_args or []) + common
            ext.extra_link_args = list(ext.extra_link_args or []) + link

        # Per-file instruction-set flags: wrap the compiler's single-file compile step.
        original_compile = self.compiler._compile

        def compile_one(obj, src, ext, cc_args, extra_postargs, pp_opts):
            extra = list(extra_postargs)
            rel = os.path.relpath(os.path.abspath(src), HERE)
            for prefix, flags in ISA_FLAGS.items():
                if rel.startswith(prefix):
                    extra += flags
            if src.endswith(".c") and rel.startswith("csrc"):
                extra = [f for f in extra if f != "-Wno-unreachable-code"]
            return original_compile(obj, src, ext, cc_args, extra, pp_opts)

        self.compiler._compile = compile_one
        super().build_extensions()


core = Extension(
    "convkit._ext._core",
    sources=[os.path.join("src", "convkit", "_ext", "_core.pyx")] + c_sources(),
    include_dirs=[os.path.join("csrc", "include"), os.path.join("csrc"), np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    depends=sorted(glob(os.path.join("csrc", "**", "*.h"), recursive=True))
    + sorted(glob(os.path.join("src", "convkit", "_ext", "*.pxi")))
    + sorted(glob(os.path.join("src", "convkit", "_ext", "*.pxd"))),
)

setup(
    ext_modules=cythonize(
        [core],
        include_path=["src"],
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False, "embedsignature": True},
    ),
    cmdclass={"build_ext": BuildExt},
)
