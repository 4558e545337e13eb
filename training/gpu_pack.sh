#!/usr/bin/env bash
# Packs what a GPU training burst needs into .gpu/ (git-ignored), small enough for the GPU
# machine's 64 MiB upload: the clips of the `default` split (which contains the protocol's 175)
# as Opus, one mono file per channel (no joint stereo: voice and accompaniment must not leak
# into each other), 32 kbit/s each at MIR-1K's 16 kHz, plus Debian's opusdec and its libraries.
# Opus is lossy: every training figure from such a burst is measured on the original WAVs.
set -euo pipefail
cd "$(dirname "$0")/.."
WAV=${1:-data/dataset/mir-1k/Wavfile}
rm -rf .gpu/opus .gpu/bin && mkdir -p .gpu/opus .gpu/bin
/usr/bin/python3 -c "
import sys; sys.path.insert(0, 'training')
from data import split_names
t, d = split_names('$WAV', 'default'); print('\n'.join(t + d))" > .gpu/clips.txt
encode() {
  local n=$1 wav=$2
  sox "$wav/$n.wav" -t wav - remix 1 | opusenc --quiet --music --bitrate 32 - ".gpu/opus/$n.L.opus"
  sox "$wav/$n.wav" -t wav - remix 2 | opusenc --quiet --music --bitrate 32 - ".gpu/opus/$n.R.opus"
}
export -f encode
xargs -P "$(nproc)" -I{} bash -c "encode {} $WAV" < .gpu/clips.txt
cp /usr/bin/opusdec .gpu/bin/
for l in libopusfile.so.0 libopus.so.0 libogg.so.0 libopusurl.so.0; do cp -L "/lib/x86_64-linux-gnu/$l" .gpu/bin/; done
du -sh .gpu
