#!/usr/bin/env bash
# System packages for the server's browser test: Debian's chromium (driven by the playwright
# Python package; `playwright install` is never used) and a CJK font so Chinese renders.
# Idempotent and quiet: does nothing when both are there.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "wenquanyi|wqy|noto sans cjk" || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0

source "$(dirname "$0")/apt-install.sh"
apt_install "${need[@]}"
