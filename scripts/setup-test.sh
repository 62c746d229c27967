#!/usr/bin/env bash
# Test prerequisites that do not come from npm: Debian's Chromium for the Playwright end-to-end
# tests (Playwright's own browser download cannot work offline), xvfb for a real window, and
# ffprobe (ffmpeg) to read exported Broadcast WAV metadata back (that test skips without it).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ ${#need[@]} -eq 0 ]; then
  echo "test set-up: chromium, xvfb and ffprobe are installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "test set-up: please install ${need[*]} (as root: apt-get install -y ${need[*]})" >&2; exit 1; }
  sudo="sudo"
fi
echo "test set-up: installing ${need[*]} with apt-get"
$sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
echo "test set-up: done"
