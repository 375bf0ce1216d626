"""Benchmark of nlp_models.analyze on one core: load time, batch throughput, single-message p99.

Run by hand: `.venv/bin/python bench/nlp.py [--n 5000]`. Prints numbers; asserts nothing.
Messages are built from the project's own templates (about 20 words each).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUBJECTS = ["I", "im", "My sister", "Everyone at work", "Nobody", "We", "My boss", "I really"]
MIDDLES = [
    "always mess up the simple things when people are watching me closely",
    "failed the driving test again this week and now I feel completely stupid",
    "enjoyed the long walk by the river with the dog this morning",
    "think the meeting went badly because of me and my stupid questions",
    "will never get this job because I am not smart enough for it",
    "said the train was late so the whole team missed the first talk",
    "should have called my mother back yesterday but I forgot again",
    "got a compliment on the report but anyone could have written it",
]
ENDINGS = [
    " and honestly I do not know what to do about it",
    ", it was a long day at the office again",
    " so I went home early and slept for a while 😭",
    " and my friends said it was fine anyway lol",
]


def messages(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(MIDDLES)}{rng.choice(ENDINGS)}" for _ in range(n)]


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--single", type=int, default=2000)
    args = parser.parse_args()
    pin_one_core()

    t0 = time.perf_counter()
    import spacy

    t_import = time.perf_counter() - t0
    from nlp_models.pipeline import build_nlp

    t1 = time.perf_counter()
    build_nlp()
    load = time.perf_counter() - t1

    import nlp_models

    nlp_models.get_nlp()  # the process-wide pipeline used below
    texts = messages(args.n)
    words = statistics.mean(len(t.split()) for t in texts)

    blank = spacy.blank("en")
    nlp_models.analyze_many(texts[:200])  # warm-up
    t2 = time.perf_counter()
    for _ in blank.pipe(texts, batch_size=256):
        pass
    tok_rate = len(texts) / (time.perf_counter() - t2)

    t3 = time.perf_counter()
    nlp_models.analyze_many(texts)
    batch_rate = len(texts) / (time.perf_counter() - t3)

    lat = []
    for text in texts[: args.single]:
        s = time.perf_counter()
        nlp_models.analyze(text)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    p50 = lat[len(lat) // 2]
    p99 = lat[int(len(lat) * 0.99) - 1]

    print(f"messages: {len(texts)}, mean words {words:.1f}, cpu affinity {os.sched_getaffinity(0)}")
    print(f"import spacy: {t_import:.3f} s; pipeline load (build + lookups): {load:.3f} s")
    print(f"bare spacy.blank('en') tokenizer: {tok_rate:,.0f} msgs/s")
    print(
        f"analyze_many (batch): {batch_rate:,.0f} msgs/s  (ratio to tokenizer {batch_rate / tok_rate:.2f})"
    )
    print(f"analyze (single): p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {lat[-1]:.3f} ms")


if __name__ == "__main__":
    main()
