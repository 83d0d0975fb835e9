#!/usr/bin/env bash
# Qt's xcb platform plugin needs a few X11 libraries that a bare Linux image lacks.
# `make run` calls this: where they are missing and apt-get can be used (root), install
# them; otherwise say what to install. Desktop machines normally have them already.
set -u
need=()
for lib in libxcb-cursor.so.0 libxkbcommon-x11.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 \
           libxcb-render-util.so.0 libxcb-image.so.0 libxcb-shape.so.0 libEGL.so.1 libGL.so.1 \
           libfontconfig.so.1 libdbus-1.so.3; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$lib")
done
[ ${#need[@]} -eq 0 ] && exit 0
pkgs="libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-render-util0 \
libxcb-image0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 \
libfontconfig1 libdbus-1-3 fonts-dejavu-core"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing the X11 libraries Qt needs: ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs) >/dev/null 2>&1 \
    || echo "warning: could not install $pkgs; the window may not open" >&2
else
  echo "warning: Qt needs these libraries: ${need[*]}; install e.g.: sudo apt-get install $pkgs" >&2
fi
exit 0
