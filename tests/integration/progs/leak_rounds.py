"""A Python program that keeps KEEP bytes more after every round (as a leaking
download loop would) and marks its rounds through ctypes: allocbench's agent
defines allocbench_round in the process when the program runs under
allocbench, and nothing does otherwise.
   python3 leak_rounds.py ROUNDS KEEP [--clean]
--clean: build and drop a large dict every round instead (no growth)."""
import ctypes
import sys

_ab = ctypes.CDLL(None)
round_end = getattr(_ab, "allocbench_round", None) or (lambda: None)

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
keep = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
clean = "--clean" in sys.argv
kept = []
for r in range(rounds):
    d = {i: str(i) * 4 for i in range(50_000)}
    del d
    if not clean:
        kept.append(bytearray(keep))
    round_end()
print(f"kept {sum(map(len, kept))} bytes in {rounds} rounds")
