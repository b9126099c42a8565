"""Draw the app icons (a ring of people around a talking piece) as PNGs, with no image library.

Run once when the design changes: python scripts/make_icons.py
"""
import math
import struct
import zlib
from pathlib import Path

BRAND = (31, 95, 91)
CREAM = (247, 245, 240)
PIECE = (240, 160, 112)


def png(size: int, maskable: bool) -> bytes:
    centre, ring = size / 2, size * (0.28 if maskable else 0.34)
    dot, piece = size * (0.07 if maskable else 0.085), size * (0.1 if maskable else 0.12)
    seats = [(centre + ring * math.cos(a), centre + ring * math.sin(a))
             for a in (2 * math.pi * k / 8 - math.pi / 2 for k in range(8))]
    corner = 0 if maskable else size * 0.18
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            dx, dy = max(corner - px, 0, px - (size - corner)), max(corner - py, 0, py - (size - corner))
            if corner and math.hypot(dx, dy) > corner:
                row += bytes((0, 0, 0, 0))
                continue
            colour = BRAND
            if math.hypot(px - centre, py - centre) <= piece:
                colour = PIECE
            elif any(math.hypot(px - sx, py - sy) <= dot for sx, sy in seats):
                colour = CREAM
            row += bytes((*colour, 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "static" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    (out / "icon-192.png").write_bytes(png(192, False))
    (out / "icon-512.png").write_bytes(png(512, False))
    (out / "icon-maskable-512.png").write_bytes(png(512, True))
