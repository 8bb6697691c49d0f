#!/usr/bin/env bash
# apt_install [APT OPTION...] PACKAGE...: the Debian install every scripts/install-*.sh ends
# with (sudo unless root, quiet), sourced by them, not run on its own.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq "$@" >/dev/null
    local packages=()
    for arg in "$@"; do [[ "$arg" == -* ]] || packages+=("$arg"); done
    echo "installed: ${packages[*]}"
}
