#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/serve/browser.test.ts) and `npm run
# screenshots`. Idempotent: does nothing when /usr/bin/chromium already runs. Exits 0 with a
# message on stderr when it cannot install (not root, no apt): the tests then skip and say why.
set -u
if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: apt-get not found; install chromium yourself (the browser tests look for /usr/bin/chromium)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install-browser: not root and no sudo; run: apt-get install -y chromium" >&2
    exit 0
  fi
fi
# One installer at a time (parallel test files may both call this).
exec 9>/tmp/recon-install-browser.lock
flock 9
if [ -x /usr/bin/chromium ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1; then
  echo "install-browser: apt-get install chromium failed; run it by hand to see why" >&2
  exit 0
fi
exit 0
