#!/usr/bin/env bash
# The browser test (Tests/WebUI/test_webui.py) needs pytest and Playwright for Python: installed with pip into
# .venv-test (shared with scripts/install-interop.sh), once — nothing happens when they import already. It drives
# Debian's /usr/bin/chromium (scripts/install-deps.sh); `playwright install` is never run (no browser download).
# Quiet unless something fails; a failure only warns: the web UI test then fails saying what is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pytest, playwright.sync_api" 2>/dev/null; then
    exit 0
fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
    echo "install-test-tools: no python3; the web UI browser test cannot run" >&2
    exit 0
fi
if [ ! -x "$venv/bin/python" ] && ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    echo "install-test-tools: python3 -m venv failed (Debian: apt-get install python3-venv); the web UI test cannot run" >&2
    exit 0
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "pytest>=8,<10" "playwright>=1.45,<2" \
    >/dev/null 2>"$venv/pip-test-tools-error.log"; then
    echo "install-test-tools: pip could not install pytest/playwright (see $venv/pip-test-tools-error.log)" >&2
fi
exit 0
