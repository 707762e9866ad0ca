#!/usr/bin/env bash
# Inspects the Debian package scripts/package built (CI: scripts/test --package): its control
# fields (Depends computed from the binaries' shared libraries), its file list (both binaries,
# both man pages, the docs), that the provision it contains runs when extracted, and that apt
# would install it here (simulated). lintian runs only where it is installed.
# Usage: tests/package_check.sh build-package/provision_<version>_<arch>.deb
set -euo pipefail
deb=${1:?usage: tests/package_check.sh PACKAGE.deb}
fail() { echo "package_check: $deb: $*" >&2; exit 1; }
[[ -f $deb ]] || fail "no such file"

name=$(basename "$deb")
[[ $name =~ ^provision_[0-9]+\.[0-9]+\.[0-9]+_[a-z0-9]+\.deb$ ]] ||
  fail "file name is not provision_<version>_<arch>.deb"

info=$(dpkg-deb -I "$deb")
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == provision ]] || fail "Package is '$(field Package)'"
version=$(field Version)
[[ $name == "provision_${version}_$(field Architecture).deb" ]] ||
  fail "file name does not match Version $version / Architecture $(field Architecture)"
for f in Maintainer Description Section; do
  [[ -n $(field "$f") ]] || fail "no $f field"
done
depends=$(field Depends)
# One Depends entry per shared library the binaries link (dpkg-shlibdeps); those whose shlibs
# give a minimum version have one (libspdlog's does not).
for lib in libcurl4 libyaml-cpp0.7 libssl3 libfmt9 libstdc++6 libc6; do
  [[ $depends =~ (^|, )"$lib"\ \(\>=\ [^\)]+\) ]] || fail "Depends lacks $lib (>= ...): $depends"
done
[[ $depends =~ (^|, )libspdlog1 ]] || fail "Depends lacks libspdlog1*: $depends"

files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/bin/provision ./usr/bin/docspace-emulator \
         ./usr/share/man/man1/provision.1 ./usr/share/man/man1/docspace-emulator.1 \
         ./usr/share/doc/provision/README.md ./usr/share/doc/provision/exit-codes.md \
         ./usr/share/doc/provision/examples/bots.yaml \
         ./usr/share/bash-completion/completions/provision \
         ./usr/share/zsh/vendor-completions/_provision \
         ./usr/share/fish/vendor_completions.d/provision.fish; do
  grep -qxF "$f" <<<"$files" || fail "does not contain $f"
done
# Nothing outside /usr (no build paths, no /usr/local).
if grep -v -e '^\./$' -e '^\./usr/' <<<"$files" | grep -q . ||
   grep -q '^\./usr/local' <<<"$files"; then
  fail "installs outside /usr: $(grep -v -e '^\./$' -e '^\./usr/' <<<"$files" | head -3)"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dpkg-deb -x "$deb" "$scratch"
out=$("$scratch/usr/bin/provision" --version) || fail "the extracted provision --version failed"
[[ $out == "provision $version" ]] || fail "the extracted provision --version said '$out', the package is $version"
"$scratch/usr/bin/docspace-emulator" --help >/dev/null || fail "the extracted docspace-emulator --help failed"
man -P cat -l "$scratch/usr/share/man/man1/provision.1" >/dev/null 2>&1 ||
  fail "man -l cannot render the packaged provision.1"

# apt accepts it on this (Debian 12) machine: every Depends resolves. Simulated, so nothing is
# installed.
apt-get install -s -q "$(realpath "$deb")" >"$scratch/apt.log" 2>&1 ||
  fail "apt-get install -s refuses it: $(tail -n 5 "$scratch/apt.log")"
grep -q '^Inst provision ' "$scratch/apt.log" || fail "apt-get install -s would not install it: $(tail -n 5 "$scratch/apt.log")"

if command -v lintian >/dev/null; then
  # Reported, not fatal: the package is not for the Debian archive (no copyright file, no
  # compressed changelog).
  lintian --no-tag-display-limit "$deb" || true
else
  echo "package_check: lintian not installed, skipped"
fi
echo "package_check: $name ok (Depends: $depends)"
echo "$info" | sed -n 's/^ *Installed-Size:/package_check: Installed-Size:/p'
