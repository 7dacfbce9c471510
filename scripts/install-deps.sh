#!/usr/bin/env bash
# Installs the Debian packages PartyBus builds and tests with (only the missing ones, so a second run is instant).
# Swift itself (6.x) must already be installed; SwiftPM fetches the Swift packages.
set -euo pipefail

packages=(
  pkg-config gcc libc6-dev
  libsqlite3-dev   # the event log
  libyaml-dev      # Yams (configuration, pipeline graphs)
  libcurl4-openssl-dev  # PSN HTTP client
  libssl-dev       # voice: the ECDSA DTLS certificate webrtcbin is given (Sources/CGStreamer/dtls_shim.h)
  libwebsockets-dev     # PSN push socket
  openssl          # tests make their own CA for https/wss
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev  # voice graphs
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice libopus-dev
  gstreamer1.0-tools  # gst-launch-1.0: the recording tests decode tracks with GStreamer's own reader
  chromium python3-venv  # the web UI's browser test (Playwright drives /usr/bin/chromium; scripts/install-test-tools.sh)
  ffmpeg           # the OBS tests' SRT and RTP viewers (what OBS's Media Source runs), `partybus bench obs`
  coturn iproute2 iptables conntrack qrencode  # P2P: the TURN/STUN server, NAT namespaces and NAT rebinding (conntrack -F) of the tests; QR codes of tokens
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
