"""Seeded random scenarios with CPython 3.13.0's answers, committed as fixtures for the
browser suite (which has no CPython): tests/fixtures/random.jsonl, each line
{"name", "scenario", "expected"}.

    PYENV_VERSION=3.13.0 python3 tests/oracle/random_fixtures.py > tests/fixtures/random.jsonl

Same mix as the native differential test's generator: small limits, separators that appear and
split across chunks, tuples and invalid separators, concurrent waiters, EOF and exceptions.
"""

import asyncio
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
import cpython_trace  # noqa: E402

SEPARATORS = [b"\n", b"\n", b"a", b"aa", b"aaa", b"ab", b"ba", b"\r\n", b"AAA", b"b\nb", b""]
ALPHABETS = [b"ab\n", b"aab\r\n", b"aA\nb", b"\n", b"xyzab\n\r"]


def scenario(rng):
    limit = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 16, 64, 65536])
    alphabet = rng.choice(ALPHABETS)
    steps, eof = [], False
    for _ in range(rng.randint(1, 14)):
        roll = rng.randrange(100)
        if roll <= 34 and not eof:
            size = rng.randint(0, 3 * min(limit, 16) + 4 if rng.random() < 0.2 else 6)
            steps.append({"op": "feed", "data": bytes(rng.choice(alphabet) for _ in range(size)).hex()})
        elif roll <= 41 and not eof:
            eof = True
            steps.append({"op": "eof"})
        elif roll <= 52:
            steps.append({"op": "read", "n": rng.choice([-2, -1, 0, 1, 2, 3, 5, 8, 100])})
        elif roll <= 64:
            steps.append({"op": "readline"})
        elif roll <= 74:
            steps.append({"op": "readexactly", "n": rng.randint(-1, 10)})
        elif roll <= 91:
            if rng.random() < 0.3:
                seps = [rng.choice(SEPARATORS).hex() for _ in range(rng.choice([0, 1, 2, 2, 3, 3]))]
                steps.append({"op": "readuntil", "sep": seps})
            else:
                steps.append({"op": "readuntil", "sep": rng.choice(SEPARATORS).hex()})
        elif roll <= 98:
            steps.append({"op": "at_eof"})
        else:
            steps.append({"op": "set_exception"})
    return {"limit": limit, "steps": steps}


def main():
    if sys.version_info[:3] != cpython_trace.REFERENCE:
        sys.exit("random_fixtures.py: needs CPython 3.13.0 (PYENV_VERSION=3.13.0 python3)")
    rng = random.Random(20261125)
    loop = asyncio.new_event_loop()
    for i in range(300):
        s = scenario(rng)
        expected = loop.run_until_complete(cpython_trace.run(s, messages=True))
        print(json.dumps({"name": f"random {i}", "scenario": s, "expected": expected}, separators=(",", ":")))
    loop.close()


if __name__ == "__main__":
    main()
