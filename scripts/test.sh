#!/usr/bin/env bash
# The whole test suite: installs what PartyBus needs, builds everything (the partybus executable and the example
# .so plugin the tests load) and runs every test. Tests use only temporary folders and loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/install-test-tools.sh
swift build --build-tests
# One test at a time: the voice tests run real-time WebRTC graphs (and one test loads every core on purpose);
# suites running side by side on a small CI machine starve the audio they measure.
swift test --skip-build --no-parallel "$@"
# Then every parser of outside data under libFuzzer + AddressSanitizer for a short budget per target (longer by
# hand: scripts/fuzz/run.sh 3600). PARTYBUS_FUZZ_SECONDS=0 skips it (e.g. when re-running one test).
if [ "${PARTYBUS_FUZZ_SECONDS:-15}" != "0" ]; then
    scripts/fuzz/run.sh "${PARTYBUS_FUZZ_SECONDS:-15}"
fi
