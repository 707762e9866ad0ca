# shellcheck shell=bash
# Sourced by scripts/build and scripts/package. When ccache is installed (scripts/setup installs
# it with the test tools), compiles through it, keyed so that two build directories of one
# checkout share their objects: the package stage of CI (scripts/test --package) then reuses the
# normal build's objects of the two binaries, compiled with the same flags, instead of compiling
# them again. Sets compiler_cache_args to the CMake arguments to add (none without ccache).
compiler_cache_args=()
if command -v ccache >/dev/null 2>&1; then
  # Paths under the checkout are hashed relative to the build directory, and the build directory
  # itself is left out of the hash (debug info then names the directory that first compiled an
  # object; the package strips debug info).
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
  compiler_cache_args=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
