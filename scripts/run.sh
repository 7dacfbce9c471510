#!/usr/bin/env bash
# The main job: installs what PartyBus needs, builds it in release mode, and runs it.
# With no arguments it runs `partybus up`: with no PSN credentials configured that is the built-in simulator, a live
# party you can watch (Ctrl-C stops it). Any arguments are passed to partybus instead (e.g. `scripts/run.sh demo`,
# `scripts/run.sh events tail -f`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product partybus >&2
swift build -c release --product PartyBusExamplePlugin >&2
if [ $# -eq 0 ]; then set -- up; fi
exec .build/release/partybus "$@"
