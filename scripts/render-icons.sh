#!/bin/sh
# Renders the app icon, resources/icon.svg, to the PNG sizes the window and a Linux
# desktop entry use (the hicolor theme's 16 to 512 pixels, named NxN.png as packagers
# expect) and resources/icon.png for the window. The PNGs are committed, so building
# needs no renderer; run this after editing the SVG. Needs rsvg-convert (Debian:
# apt-get install librsvg2-bin).
set -eu
cd "$(dirname "$0")/.."
if ! command -v rsvg-convert >/dev/null; then
  echo "rsvg-convert is missing: apt-get install librsvg2-bin" >&2
  exit 1
fi
mkdir -p resources/icons
for size in 16 22 24 32 48 64 128 256 512; do
  rsvg-convert --width "$size" --height "$size" resources/icon.svg --output "resources/icons/${size}x${size}.png"
done
cp resources/icons/512x512.png resources/icon.png
