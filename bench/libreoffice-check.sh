#!/usr/bin/env bash
# Checks that LibreOffice opens recon's workbooks (`--convert-to pdf` fails on a file it cannot read).
#   bench/libreoffice-check.sh              writes both kinds of workbook for a hand-made month and converts them
#   bench/libreoffice-check.sh FILE.xlsx…   converts the given workbooks (e.g. from `recon workbook --out DIR`)
# Install LibreOffice with: apt-get install -y libreoffice-calc-nogui
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(command -v soffice || command -v libreoffice || true)"
if [ -z "$bin" ]; then
  echo "LibreOffice is not installed: apt-get install -y libreoffice-calc-nogui" >&2
  exit 2
fi
if [ "$#" -eq 0 ]; then
  RECON_REQUIRE_LIBREOFFICE=1 exec node --import tsx --test test/workbooks/cli.db.test.ts
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
HOME="$out/home" "$bin" --headless --convert-to pdf --outdir "$out" "$@" >&2
for file in "$@"; do
  pdf="$out/$(basename "${file%.xlsx}").pdf"
  if [ ! -s "$pdf" ]; then
    echo "FAIL: LibreOffice could not convert $file" >&2
    exit 1
  fi
  echo "ok  $file -> $(stat -c %s "$pdf") bytes of PDF"
done
echo "converted $# workbook(s) in $(( $(date +%s) - start ))s"
