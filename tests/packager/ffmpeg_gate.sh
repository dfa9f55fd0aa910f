#!/bin/sh
# Test stand-in in front of the real ffmpeg, first on the packager's PATH in the packaging
# tests. Every run goes to the real ffmpeg, except: while $FFMPEG_GATE_DIR/hold holds a
# text found in the arguments (say "scale=640:360", one rendition's encode), that run
# waits until the file is removed; while .../fail holds one, that run fails as ffmpeg
# would. The packager's SIGKILL-with-its-parent survives the exec.
dir=${FFMPEG_GATE_DIR:?}
args="$*"
if [ -s "$dir/fail" ] && case "$args" in *"$(cat "$dir/fail")"*) true;; *) false;; esac; then
  echo "Conversion failed! (injected by the test)" >&2
  exit 1
fi
while [ -s "$dir/hold" ] && case "$args" in *"$(cat "$dir/hold" 2>/dev/null)"*) true;; *) false;; esac; do
  sleep 0.05
done
exec "${REAL_FFMPEG:-/usr/bin/ffmpeg}" "$@"
