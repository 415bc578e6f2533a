#!/usr/bin/env bash
# Install the system packages the API's browser test needs (Chromium for Playwright).
#
# Idempotent: does nothing when /usr/bin/chromium already exists. Installs only when
# running as root (CI containers); otherwise prints the command to run. Debian/Ubuntu
# (apt-get) only. Usage: scripts/install_system_deps.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_system_deps: $CHROMIUM present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')); nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_system_deps: $CHROMIUM missing and apt-get not available; install Chromium with your package manager" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_system_deps: $CHROMIUM missing; not root, so not installing. Run as root:" >&2
    echo "    apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

echo "install_system_deps: running apt-get update"
apt-get update
echo "install_system_deps: running apt-get install -y chromium"
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_system_deps: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
else
    echo "install_system_deps: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
