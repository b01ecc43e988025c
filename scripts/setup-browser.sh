#!/usr/bin/env bash
# Installs the browser the dashboard's end-to-end tests drive (test/dashboard/browser.test.ts): Debian's
# own chromium package, driven by playwright-core. Playwright never downloads a browser. Idempotent: does
# nothing when /usr/bin/chromium (or $CHROMIUM_PATH) is already there. Needs root (or sudo) and apt.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-browser: run as root (or install sudo) to install Debian's chromium package" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: apt-get not found; install Chromium yourself and set CHROMIUM_PATH to its binary" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends chromium
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
