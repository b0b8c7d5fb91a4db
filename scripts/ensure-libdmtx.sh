#!/usr/bin/env bash
# The label tests read DataMatrix symbols back with a second, independent decoder (libdmtx,
# through pylibdmtx), not the library that drew them. Install Debian's libdmtx when missing.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libdmtx\.so'; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "libdmtx not found: installing Debian's libdmtx0b package (label tests need it)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdmtx0b >/dev/null
  exit 0
fi
echo "ERROR: label tests need libdmtx: install Debian's libdmtx0b package (sudo apt-get install libdmtx0b)" >&2
exit 1
