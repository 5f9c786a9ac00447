"""Top functions of a py-spy raw (collapsed stacks) profile, self and inclusive share of samples.

    .venv/bin/python bench/spy_top.py /tmp/spy/sa-b01-4000-standalone.txt --grep run

Profiles come from ``bench/http_suite.py --py-spy DIR`` (``py-spy record -f raw``: one line per
distinct stack, ``frame;frame;... count``; with ``--threads`` absent the first frame is the thread's
entry).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--grep", default=None, help="only stacks containing this text")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        if args.grep and args.grep not in stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    print(f"{total} samples")
    for title, counter in (("self", own), ("inclusive", inclusive)):
        print(f"\n-- {title}")
        for frame, count in counter.most_common(args.top):
            print(f"{100 * count / max(total, 1):5.1f}%  {frame}")


if __name__ == "__main__":
    main()
