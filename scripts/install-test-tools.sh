#!/usr/bin/env bash
# The Python test tools, installed with pip into .venv-test once (nothing happens when they import already):
# pytest + Playwright for the web UI's browser test (Tests/WebUI; it drives Debian's /usr/bin/chromium from
# scripts/install-deps.sh — `playwright install` is never run), aiortc + websockets for the independent WebRTC peer of
# the interop tests (Tests/Interop). Quiet unless something fails; a failure only warns: the web UI test then fails
# saying what is missing and the interop suite is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pytest, playwright.sync_api, aiortc, aioice, av, websockets" 2>/dev/null; then
    exit 0
fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
    echo "install-test-tools: no python3; the web UI and aiortc interop tests cannot run" >&2
    exit 0
fi
if [ ! -x "$venv/bin/python" ] && ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    echo "install-test-tools: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
    exit 0
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "pytest>=8,<10" "playwright>=1.45,<2" \
    "aiortc>=1.16,<2" "websockets>=12" >/dev/null 2>"$venv/pip-error.log"; then
    echo "install-test-tools: pip could not install the test tools (see $venv/pip-error.log)" >&2
fi
exit 0
