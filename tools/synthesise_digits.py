#!/usr/bin/env python3
"""Write the synthetic spoken digits of ``data/audio/synthetic/`` with espeak-ng (run once; the notebooks only read
the files it wrote, so they need neither espeak-ng nor a network).

    apt-get install espeak-ng        # or: brew install espeak-ng
    python3 tools/synthesise_digits.py [--out data/audio/synthetic]

Eight espeak-ng voices (accents and voice variants, five male, three female) say the words "zero" to "nine" three
times each, at three speaking rates and pitches, 240 files named ``{digit}_{voice}_{repetition}.wav`` like the Free
Spoken Digit Dataset's. espeak-ng writes 22,050 Hz 16-bit mono with digital silence before and after the word; the
files are resampled to 8 kHz (``utils.audio.read_wav``) and stored as 16-bit PCM, the silence kept.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils import audio  # noqa: E402

# file-name voice (letters only) -> espeak-ng voice: accent + variant
VOICES = {
    "usmale": "en-us+m3",
    "gbmale": "en-gb+m1",
    "scotmale": "en-gb-scotland+m5",
    "caribmale": "en-029+m7",
    "wmidmale": "en-gb-x-gbcwmd+m2",
    "usfemale": "en-us+f2",
    "rpfemale": "en-gb-x-rp+f4",
    "lancfemale": "en-gb-x-gbclan+f1",
}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
RATES = [140, 165, 190]    # words per minute, one per repetition (espeak-ng's default is 175)
PITCHES = [35, 50, 65]     # espeak-ng pitch 0-99 (default 50), one per repetition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "audio" / "synthetic")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, voice in VOICES.items():
            for digit, word in enumerate(WORDS):
                for repetition, (rate, pitch) in enumerate(zip(RATES, PITCHES, strict=True)):
                    raw = Path(tmp) / "raw.wav"
                    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(raw), word],
                                   check=True)
                    audio.write_wav(args.out / f"{digit}_{name}_{repetition}.wav", audio.read_wav(raw))
    print(f"wrote {len(VOICES) * len(WORDS) * len(RATES)} files to {args.out}")


if __name__ == "__main__":
    main()
