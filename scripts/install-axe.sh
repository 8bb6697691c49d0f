#!/usr/bin/env bash
# axe-core (npm) for the web page's accessibility check in tests/test_page_e2e.py: the test
# loads axe.min.js into the page from this file (never from a CDN). Needs npm
# (scripts/install-detector-deps.sh). Idempotent and quiet: does nothing when it is there.
set -euo pipefail

VERSION=4.14.1
DIR="${MMRAG_AXE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mmrag-test/axe-core-$VERSION}"
[ -f "$DIR/axe.min.js" ] && exit 0
command -v npm >/dev/null 2>&1 || bash "$(dirname "$0")/install-detector-deps.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# npm checks the tarball against the registry's integrity hash
(cd "$tmp" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tar -xzf "$tmp"/axe-core-"$VERSION".tgz -C "$tmp" package/axe.min.js
mkdir -p "$DIR"
mv "$tmp/package/axe.min.js" "$DIR/axe.min.js"
echo "installed: axe-core $VERSION in $DIR"
