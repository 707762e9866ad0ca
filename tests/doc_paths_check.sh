#!/usr/bin/env bash
# CTest "doc_paths": every repository path a comment or a document names (src/..., include/...,
# tests/..., docs/..., scripts/..., bench/..., fuzz/..., cmake/..., man/..., manifests/...,
# .ci/...) exists, so comments cannot keep pointing at files that were renamed or removed. A
# path names an existing file or directory, a binary built from PATH.cpp, or a state file a run
# creates (*.state.json). Paths inside other paths (build/tests/e2e_tests, share/man/man1) and
# URLs are not repository paths and are skipped.
# Usage: tests/doc_paths_check.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: tests/doc_paths_check.sh SOURCE_DIR}"
mapfile -d '' files < <(find . \( -name '.git' -o -name 'build*' -o -path './tests/data' \
                                   -o -path './fuzz/corpus' -o -path './fuzz/regressions' \) -prune \
                          -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.md' \
                                        -o -name '*.cmake' -o -name 'CMakeLists.txt' -o -name '*.1' \
                                        -o -name 'Dockerfile' -o -path './scripts/*' -o -path './.ci/*' \
                                        -o -name '*.sh' -o -path './bench/run' \) -print0)
missing=0
while IFS=: read -r file path; do
  if [[ -e $path || -e $path.cpp || $path == *.state.json ]]; then
    continue
  fi
  echo "doc_paths: ${file#./} names $path, which does not exist" >&2
  missing=$((missing + 1))
done < <(grep -oHP '(?<![A-Za-z0-9_./~$-])(src|include|tests|docs|scripts|bench|fuzz|cmake|man|manifests|\.ci)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "${files[@]}")
if ((missing)); then
  exit 1
fi
echo "doc_paths: every path named in ${#files[@]} files exists"
