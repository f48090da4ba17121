#!/usr/bin/env bash
# Install the Debian packages the portal needs, only those missing (toolchain.md):
# Pango/HarfBuzz for WeasyPrint, CJK + Times-metric fonts for PDFs, poppler-utils
# for PDF checks, Chromium for browser tests.
set -euo pipefail
PACKAGES=(libpangoft2-1.0-0 libharfbuzz-subset0 fonts-arphic-ukai fonts-noto-cjk fonts-liberation poppler-utils chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
