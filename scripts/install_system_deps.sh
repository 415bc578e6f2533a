#!/usr/bin/env bash
# Install the Debian packages the project uses beyond PyPI:
#   chromium  the API's end-to-end browser test (driven by Playwright)
#   wrk       the HTTP load generator of scripts/bench_api.py
#   libpq-dev pg_config + headers: the dev extra's biocommons `hgvs` depends on psycopg2,
#             which pip builds from source (its parser, used in tests, needs no database)
#   openjdk-17-jre-headless  Java for Hail/Spark (triage cohort, tests/cohort); Hail 0.2.13x is
#             built for Java 11 and runs on 17 (Debian 12's JDK), see README
#
# Idempotent: installs only what is missing, and only when running as root (CI
# containers); otherwise prints the command to run. Debian/Ubuntu (apt-get) only.
# Usage: scripts/install_system_deps.sh
set -euo pipefail

# package:command-it-provides
WANTED="chromium:/usr/bin/chromium wrk:/usr/bin/wrk libpq-dev:/usr/bin/pg_config openjdk-17-jre-headless:/usr/bin/java"

missing=()
for item in $WANTED; do
    pkg=${item%%:*}
    cmd=${item#*:}
    if [ -x "$cmd" ]; then
        echo "install_system_deps: $cmd present"
    else
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install_system_deps: nothing to do"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_system_deps: missing ${missing[*]} and apt-get is not available; install them with your package manager" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install_system_deps: missing ${missing[*]}; not root, so not installing. Run as root:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "install_system_deps: running apt-get update"
apt-get update
echo "install_system_deps: running apt-get install -y ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

for item in $WANTED; do
    cmd=${item#*:}
    if [ ! -x "$cmd" ]; then
        echo "install_system_deps: apt-get finished but $cmd is still missing" >&2
        exit 1
    fi
done
echo "install_system_deps: installed ${missing[*]}"
