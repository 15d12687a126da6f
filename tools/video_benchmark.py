"""How much memory and time `utils.video.read_clip` needs for a long, high-resolution clip.

A benchmark, not a test: it writes a clip (by default 1,500 frames of 1280x720, about a minute of phone
video), then reads 16 frames from it, and from its first third, each in a fresh process, and prints the
peak memory growth and the time. Memory should stay flat in the clip's length (only the sampled frames are
kept) and time should grow no faster than the length (every frame is decoded once, or twice when the
container's frame count is wrong).

    python3 tools/video_benchmark.py                       # the defaults above
    python3 tools/video_benchmark.py --frames 300 --width 640 --height 360

Peak memory is the reading process's resident set size at its peak (/proc/self/status, reset just before the
read), so the script runs on Linux.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from utils import video  # noqa: E402


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS: now, VmHWM: the peak), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def measure(path: str, n_frames: int, size: int) -> dict:
    """Run in a fresh process: the peak memory growth (MB) and the time (s) of one read_clip call."""
    Path("/proc/self/clear_refs").write_text("5")                   # reset the peak to the current size
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    clip = video.read_clip(path, n_frames=n_frames, size=size)
    seconds = time.perf_counter() - start
    return {"growth_mb": (_status_kb("VmHWM") - before) / 1024, "seconds": seconds, "shape": list(clip.shape)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1500, help="length of the long clip")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--n-frames", type=int, default=16, help="frames read_clip samples")
    parser.add_argument("--size", type=int, default=64, help="read_clip's output size")
    parser.add_argument("--measure", help=argparse.SUPPRESS)         # internal: measure one file and print JSON
    args = parser.parse_args(argv)
    if not Path("/proc/self/clear_refs").exists():
        parser.error("measuring peak memory needs Linux (/proc/self/clear_refs)")
    if args.measure:
        print(json.dumps(measure(args.measure, args.n_frames, args.size)))
        return 0

    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for frames in (max(1, args.frames // 3), args.frames):
            path = Path(folder) / f"long_{frames}.mp4"
            start = time.perf_counter()
            video.write_clip(path, video.panning_frames(frames, args.width, args.height), fps=30)
            written = time.perf_counter() - start
            result = subprocess.run([sys.executable, __file__, "--measure", str(path), "--n-frames",
                                     str(args.n_frames), "--size", str(args.size)],
                                    capture_output=True, text=True, check=True)
            rows.append((frames, path.stat().st_size / 2**20, written, json.loads(result.stdout.splitlines()[-1])))
    decoded_gb = args.width * args.height * 3 / 2**30
    print(f"read_clip(n_frames={args.n_frames}, size={args.size}) on {args.width}x{args.height} mp4v clips")
    print(f"{'frames':>7} {'file MB':>8} {'all frames decoded':>19} {'peak growth MB':>15} {'read s':>7} "
          f"{'ms/frame':>9}")
    for frames, megabytes, _, result in rows:
        print(f"{frames:7d} {megabytes:8.1f} {frames * decoded_gb:16.2f} GB {result['growth_mb']:15.1f} "
              f"{result['seconds']:7.2f} {1000 * result['seconds'] / frames:9.2f}")
    (short, *_, short_result), (long, *_, long_result) = rows
    print(f"time ratio {long_result['seconds'] / short_result['seconds']:.2f} for a length ratio {long / short:.2f}; "
          f"memory growth {long_result['growth_mb'] - short_result['growth_mb']:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
