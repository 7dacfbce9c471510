#!/usr/bin/env bash
# The interop tests' independent WebRTC peer (Tests/Interop/aiortc_member.py) needs Python with aiortc and websockets:
# installed with pip into .venv-test, once (nothing happens when they import already). Quiet unless something fails;
# a failure only warns: the interop suite is then skipped (it checks the venv itself).
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import aiortc, aioice, av, websockets" 2>/dev/null; then
    exit 0
fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
    echo "install-interop: no python3; the aiortc interop tests will be skipped" >&2
    exit 0
fi
if [ ! -x "$venv/bin/python" ] && ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    echo "install-interop: python3 -m venv failed; the aiortc interop tests will be skipped" >&2
    exit 0
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "aiortc>=1.16,<2" "websockets>=12" >/dev/null 2>"$venv/pip-error.log"; then
    echo "install-interop: pip could not install aiortc (see $venv/pip-error.log); the aiortc interop tests will be skipped" >&2
fi
exit 0
