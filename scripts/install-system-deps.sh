#!/usr/bin/env bash
# System packages the test suite needs: espeak-ng speaks the test audio, a CJK font
# draws the Chinese lines of the scanned test pages.
# Idempotent and quiet: does nothing when everything is already installed.
set -euo pipefail

packages=(espeak-ng fonts-wqy-microhei)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
source "$(dirname "$0")/apt-install.sh"
apt_install --no-install-recommends "${missing[@]}"
