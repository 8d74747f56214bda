"""The hand-written conformance catalogue: asyncio-streams.md §6 (pure-buffer tests of
test_streams.py) and §7 (tricky cases), as trace scenarios.

Writes tests/fixtures/catalogue.jsonl — each line {"name", "scenario", "expected"} — with the
expected results produced by CPython 3.13.0 itself (through cpython_trace.py), so the fixtures
are CPython's answers, never hand-typed ones:

    PYENV_VERSION=3.13.0 python3 tests/oracle/catalogue.py > tests/fixtures/catalogue.jsonl

The native test suite checks streamlab against these fixtures, and checks that CPython still
gives them.
"""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import cpython_trace  # noqa: E402

DATA = b"line1\nline2\nline3\n"


def F(b):
    return {"op": "feed", "data": b.hex()}


E = {"op": "eof"}
X = {"op": "set_exception"}
AE = {"op": "at_eof"}
RL = {"op": "readline"}


def R(n):
    return {"op": "read", "n": n}


def RX(n):
    return {"op": "readexactly", "n": n}


def RU(sep):
    if isinstance(sep, tuple):
        return {"op": "readuntil", "sep": [s.hex() for s in sep]}
    return {"op": "readuntil", "sep": sep.hex()}


CASES = []


def case(name, *steps, limit=None):
    scenario = {"steps": list(steps)}
    if limit is not None:
        scenario = {"limit": limit, **scenario}
    CASES.append((name, scenario))


# --- §6: the pure-buffer tests of test_streams.py (3.13.0) ---
case("6.07 feed_empty_data", F(b""))
case("6.08 feed_nonempty_data", F(DATA))
case("6.09 read_zero", F(DATA), R(0))
case("6.10 read waits then returns fewer than n", R(30), F(DATA))
case("6.11 read_line_breaks", F(b"line1"), F(b"line2"), R(5))
case("6.12 read_eof", R(1024), E)
case("6.13 read_until_eof", R(-1), F(b"chunk1\n"), F(b"chunk2"), E)
case("6.14 read_exception", F(b"line\n"), R(2), X, R(2))
case("6.16 read ignores limit", F(b"chunk"), R(5), limit=3)
case("6.17 readline across chunks", F(b"chunk1 "), RL, F(b"chunk2 "), F(b"chunk3 "), F(b"\n chunk4"))
case("6.18a readline_limit_with_existing_data found", F(b"li"), F(b"ne1\nline2\n"), RL, limit=3)
case("6.18b readline_limit_with_existing_data not found", F(b"li"), F(b"ne1"), F(b"li"), RL, limit=3)
case("6.19 at_eof", F(b"some data\n"), AE, RL, AE, F(b"some data\n"), E, RL, AE)
case("6.20a readline_limit, chunks pending", RL, F(b"chunk1"), F(b"chunk2"), F(b"chunk3\n"), E, limit=7)
case("6.20a' readline_limit, chunks buffered", F(b"chunk1"), F(b"chunk2"), F(b"chunk3\n"), E, RL, limit=7)
case("6.20b readline_limit keeps next line", F(b"chunk1"), F(b"chunk2\n"), F(b"chunk3\n"), E, RL, RL, limit=7)
case("6.20c readline exactly limit", F(b"1234567\n"), RL, limit=7)
case("6.20d readline one over limit", F(b"12345678\n"), RL, limit=7)
case("6.20e readline over limit, no newline", F(b"12345678"), RL, limit=7)
case("6.21 readline_nolimit_nowait", F(DATA[:6]), F(DATA[6:]), RL)
case("6.22 readline_eof", F(b"some data"), E, RL)
case("6.23 readline_empty_eof", E, RL)
case("6.24 readline_read_byte_count", F(DATA), RL, R(7))
case("6.25 readline_exception", F(b"line\n"), RL, X, RL)
case("6.26 readuntil_separator", RU(b""), RU((b"",)), RU(()))
case("6.27 readuntil_multi_chunks", F(b"lineAAA"), RU(b"AAA"), F(b"lineAAA"), RU(b"AAA"),
     F(b"lineAAAxxx"), RU(b"AAA"))
case("6.28a separator split across chunks", RU(b"aaa"), F(b"QWEaa"), F(b"XYaa"), F(b"a"))
case("6.28b separator split across chunks", RU(b"aaa"), F(b"QWEaa"), F(b"XYa"), F(b"aa"))
case("6.28c", RU(b"aaa"), F(b"aaa"))
case("6.28d", RU(b"aaa"), F(b"Xaaa"))
case("6.28e", RU(b"aaa"), F(b"XXX"), F(b"a"), F(b"a"), F(b"a"))
case("6.29 readuntil_eof", F(b"some dataAA"), E, RU(b"AAA"))
case("6.30 readuntil_limit_found_sep", F(b"some dataAA"), RU(b"AAA"), F(b"A"), RU(b"AAA"), limit=3)
case("6.31a multi_separator", F(b"line 1\nline 2\r"), RU((b"\r", b"\n")), RU((b"\r", b"\n")))
case("6.31b multi_separator earliest end", F(b"ABCDEFG"), RU((b"DEF", b"BCDE")))
case("6.32 multi_separator_limit", F(b"some dataA"), RU((b"A", b"ome dataA")), limit=3)
case("6.33 multi_separator_negative_offset", F(b"data"), RU((b"A", b"long sep")), F(b"Z"), F(b"Aaaa"))
case("6.34 readuntil_bytearray", F(b"some data\r\n"), RU(b"\r\n"))
case("6.35 readexactly_zero_or_less", F(DATA), RX(0), RX(-1))
case("6.36 readexactly", RX(36), F(DATA * 3))
case("6.37 readexactly_limit", F(b"chunk"), RX(5), limit=3)
case("6.38 readexactly_eof", RX(36), F(DATA), E)
case("6.39 readexactly_exception", F(b"line\n"), RX(2), X, RX(2))
case("6.40 exception", X, R(0))
case("6.41 exception_waiter", RL, X)
case("6.42 pending read at the end is cancelled", RL)

# --- §7: tricky cases ---
case("7.01 read(n) does not wait for n", F(b"ab"), R(10))
case("7.01 read(n) at EOF", F(b"ab"), E, R(10), R(10), AE)
case("7.02 any negative n reads to EOF", F(b"abc"), F(b"def"), E, R(-5))
case("7.02 read() in limit-sized blocks", F(b"abcdefg"), R(-1), F(b"hij"), E, limit=2)
case("7.02 read(-1) loses blocks on exception", F(b"abc"), R(-1), X, AE)
case("7.03 precedence with stored exception", F(b"abc\n"), X, R(2), R(0), RL, RX(0), RU(b"c"), RX(-1), RU(b""))
case("7.04 exception hides buffered data", F(b"abc"), X, R(3), AE)
case("7.04 exception after EOF", F(b"tail"), E, X, R(-1), AE)
case("7.05 second waiter: read", RL, R(5))
case("7.05 second waiter: readexactly", R(1), RX(3))
case("7.05 second waiter: readline reports readuntil", RX(3), RL)
case("7.05 second reader with data proceeds", F(b"abc"), RU(b"X"), R(2), F(b"dX"))
case("7.05 a consumer behind a waiting readuntil leaves its offset stale",
     F(b"abcd"), RU(b"XY"), R(3), F(b"XY"), F(b"zz"), F(b"XY"))
case("7.09 limit: exactly limit before separator", F(b"abcAAA"), RU(b"AAA"), limit=3)
case("7.09 limit: one more", F(b"abcdAAA"), RU(b"AAA"), limit=3)
case("7.09 not found at len+1-maxlen", F(b"abcdef"), RU(b"AAA"), limit=3)
case("7.09 waits below the not-found limit", F(b"abcde"), RU(b"AAA"), limit=3)
case("7.09 not found beats EOF", F(b"abcdef"), E, RU(b"AAA"), limit=3)
case("7.09 subtle EOF: no room, no limit check", F(b"abcde"), RU(b"AAA"), E, limit=3)
case("7.09 EOF with short tail", F(b"abcde"), E, RU(b"AAA"), limit=3)
case("7.09 overrun at EOF repeats", F(b"abcd"), E, RU(b"A"), RU(b"A"), R(4), RU(b"A"), limit=3)
case("7.09 incomplete at EOF", F(b"abc"), E, RU(b"A"), limit=3)
case("7.09 long separator loosens the limit", F(b"0123456789"), RU((b"A", b"long sep")), F(b"x"), limit=3)
case("7.09 found, consumed is match start", F(b"some dataAAA"), RU(b"AAA"), limit=3)
case("7.09 not found, consumed is len+1-maxlen", F(b"some dataAA"), RU(b"AAA"), limit=3)
case("7.10 readline overrun found trims through newline", F(b"12345678\nabc"), RL, limit=7)
case("7.10 readline overrun at EOF loses the tail", F(b"12345678"), E, RL, limit=7)
case("7.10 readline at EOF returns the tail", F(b"1234567"), E, RL, limit=7)
case("7.10 readline after overrun", F(b"abcd\nef\n"), RL, RL, limit=3)
case("7.10 tail of a long line comes back as a line", F(b"ab"), F(b"cde"), RL, F(b"fg\nnext\n"), RL, limit=4)
case("7.11 chunk timing: newline in the same chunk", F(b"abcde\n"), RL, RL, limit=4)
case("7.11 chunk timing: newline later", RL, F(b"abcde"), F(b"\n"), RL, limit=4)
case("7.12 incremental scan", F(b"aaaa"), RU(b"END"), F(b"bbbb"), F(b"EN"), F(b"D!"))
case("7.12 incremental scan, tuple", F(b"aaaa"), RU((b"\n", b"END")), F(b"bbbb"), F(b"EN"), F(b"D!"))
case("7.13 separator spanning chunks", RU(b"\r\n\r\n"), F(b"HTTP/1.1 200 OK\r"), F(b"\n"), F(b"X: y\r\n\r"),
     F(b"\nBODY"))
case("7.14 tie goes to the shorter separator", F(b"xabc"), RU(b"abc"), limit=1)
case("7.14 shorter separator ending together overruns", F(b"xabc"), RU((b"abc", b"bc")), limit=1)
case("7.14 (\\n, \\r\\n)", F(b"ab\r\n"), RU((b"\n", b"\r\n")))
case("7.14 (\\r\\n, \\n)", F(b"ab\r\n"), RU((b"\r\n", b"\n")))
case("7.14 (ab, b)", F(b"xab"), RU((b"ab", b"b")))
case("7.14 (a, a)", F(b"xay"), RU((b"a", b"a")))
case("7.14 tuple at EOF", F(b"xyz"), E, RU((b"a", b"bb")))
case("7.15 EOF after scanning returns the match", F(b"ab\n"), E, RU(b"\n"), AE)
case("7.15 separator completed by the last chunk", RU(b"\n"), F(b"ab"), F(b"\n"), E)
case("7.16 readuntil at empty EOF raises", E, RU(b"\n"))
case("7.16 readline at empty EOF returns b''", E, RL)
case("7.16 readexactly at EOF clears the buffer", F(b"abc"), E, RX(5), AE)
case("7.16 readexactly(0) at empty EOF", E, RX(0))
case("7.17 at_eof needs an empty buffer", F(b"x"), E, AE, R(1), AE)
case("7.20 readexactly ignores limit", F(b"abcdefg"), RX(5), limit=3)
case("7.21 async for yields empty lines and the tail", F(b"a\nb\n\nc"), E, RL, RL, RL, RL, RL)
case("7.21 async for stops at ValueError", F(b"a\nbbbbb\nc\n"), RL, RL, RL, limit=2)
case("7.21 pep492 readline", F(b"line1\nline2\nline3"), E, RL, RL, RL, RL)
case("1.08 woken readexactly loops", RX(4), F(b"a"), F(b"b"), F(b"cd"))
case("1.09 readexactly above 2*limit", F(b"abcdef"), RX(10), F(b"ghij"), limit=2)
case("1.10 read(n) after eof with data", F(b"abc"), E, R(2), R(2), R(2))
case("1.12 single-byte not-found limit", F(b"abcd"), RU(b"\n"), limit=3)
case("1.12 wait below single-byte limit", F(b"abc"), RU(b"\n"), F(b"\n"), limit=3)


def main():
    if sys.version_info[:3] != cpython_trace.REFERENCE:
        sys.exit("catalogue.py: needs CPython 3.13.0 (PYENV_VERSION=3.13.0 python3)")
    loop = asyncio.new_event_loop()
    names = set()
    for name, scenario in CASES:
        assert name not in names, f"duplicate case name {name!r}"
        names.add(name)
        expected = loop.run_until_complete(cpython_trace.run(scenario, messages=True))
        print(json.dumps({"name": name, "scenario": scenario, "expected": expected},
                         separators=(",", ":")))
    loop.close()


if __name__ == "__main__":
    main()
