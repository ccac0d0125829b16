"""A Python program that callocs and frees 64 MiB per call through ctypes,
as PyOpenSSL's recv did with _ffi.new("char[]", bufsiz): an allocator that
zeroes reused blocks (or hands back fresh pages it must fault in) pays for
every byte each time; one that keeps zeroed memory does not.
   python3 calloc_loop.py [CALLS] [MIB]        (40, 64)"""
import ctypes
import sys

calls = int(sys.argv[1]) if len(sys.argv) > 1 else 40
size = (int(sys.argv[2]) if len(sys.argv) > 2 else 64) << 20
libc = ctypes.CDLL(None)
libc.calloc.restype = ctypes.c_void_p
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
for _ in range(calls):
    p = libc.calloc(1, size)
    if not p:
        sys.exit("calloc failed")
    libc.free(p)
print(f"{calls} callocs of {size} bytes")
