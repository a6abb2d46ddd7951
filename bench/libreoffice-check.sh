#!/usr/bin/env bash
# Checks that LibreOffice opens recon's workbooks (`--convert-to pdf` fails on a file it cannot read)
# and that no sheet shows `###` (a number wider than its column) at the widths the file sets.
#   bench/libreoffice-check.sh              writes both kinds of workbook for a hand-made month and converts them
#   bench/libreoffice-check.sh FILE.xlsx…   converts the given workbooks (e.g. from `recon workbook --out DIR`)
#                                           and reads every page of the PDF back for `###`
# Install LibreOffice with: apt-get install -y libreoffice-calc-nogui poppler-utils (pdftotext)
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
if ! command -v pdftotext >/dev/null; then
  echo "pdftotext is not installed (needed to find ### cells): apt-get install -y poppler-utils" >&2
  exit 2
fi
failed=0
for file in "$@"; do
  pdf="$out/$(basename "${file%.xlsx}").pdf"
  if [ ! -s "$pdf" ]; then
    echo "FAIL: LibreOffice could not convert $file" >&2
    exit 1
  fi
  # pages are separated by form feeds; each page starts with its sheet's title row
  hashes="$(pdftotext -layout "$pdf" - | awk 'BEGIN { page = 1 } { n = split($0, parts, "\f"); for (i = 2; i <= n; i++) { page++; title = "" } line = parts[n]; if (title == "" && line ~ /[^ ]/) title = line; if (line ~ /###/) printf "  page %d (%s): %s\n", page, title, line }')"
  pages="$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')"
  if [ -n "$hashes" ]; then
    echo "FAIL: $file shows ### (a number wider than its column):" >&2
    echo "$hashes" | head -20 >&2
    failed=1
  else
    echo "ok  $file -> ${pages:-?} page(s) of PDF, no ### cells"
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "converted $# workbook(s) in $(( $(date +%s) - start ))s"
