#!/usr/bin/env python3
"""Draws the demo drops' pictures (dev/demo/*.png) for `make dev`, so the demo shop is
complete offline. Pure Python (zlib), indexed colour: a few KB each. Re-run to redraw:
    python3 dev/demo/make-images.py
"""
import struct
import zlib
from pathlib import Path

W, H = 480, 300
# The brand's pastels (BRIEF.md), as palette entries.
PALETTE = [
    (0xFF, 0xFD, 0xD0),  # 0 vanilla cream (background)
    (0xFF, 0xD1, 0xDC),  # 1 sakura milk
    (0xAE, 0xEE, 0xEE),  # 2 dreamy sky
    (0xE6, 0xE6, 0xFA),  # 3 lavender mist
    (0x98, 0xFF, 0x98),  # 4 mint matcha
    (0x4A, 0x4A, 0x5A),  # 5 text dark (outlines)
    (0xFF, 0xFF, 0xFF),  # 6 white
    (0x6B, 0x5B, 0x95),  # 7 dark lavender
]


def canvas(bg=0):
    return [[bg] * W for _ in range(H)]


def rect(img, x0, y0, x1, y1, c, r=0):
    """A filled rectangle with rounded corners of radius r."""
    for y in range(max(0, y0), min(H, y1)):
        for x in range(max(0, x0), min(W, x1)):
            dx = max(x0 + r - x, 0, x - (x1 - 1 - r))
            dy = max(y0 + r - y, 0, y - (y1 - 1 - r))
            if dx * dx + dy * dy <= r * r:
                img[y][x] = c


def ellipse(img, cx, cy, rx, ry, c):
    for y in range(max(0, cy - ry), min(H, cy + ry + 1)):
        for x in range(max(0, cx - rx), min(W, cx + rx + 1)):
            if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1:
                img[y][x] = c


def keyboard(img, x0, y0, cols, rows, case, caps, accent):
    key, gap = 26, 4
    width, height = cols * (key + gap) + gap + 16, rows * (key + gap) + gap + 16
    rect(img, x0 - 3, y0 - 3, x0 + width + 3, y0 + height + 3, 5, 16)
    rect(img, x0, y0, x0 + width, y0 + height, case, 14)
    for row in range(rows):
        for col in range(cols):
            kx, ky = x0 + 8 + gap + col * (key + gap), y0 + 8 + gap + row * (key + gap)
            colour = accent if (row, col) in ((0, 0), (rows - 1, cols - 1)) else caps
            rect(img, kx, ky, kx + key, ky + key, 5, 6)
            rect(img, kx + 2, ky + 2, kx + key - 2, ky + key - 3, colour, 5)


def png(img, path):
    raw = b"".join(b"\x00" + bytes(row) for row in img)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 3, 0, 0, 0))
    data += chunk(b"PLTE", b"".join(bytes(c) for c in PALETTE))
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    Path(path).write_bytes(data)


here = Path(__file__).parent

img = canvas(0)  # Snow White TKL: a white board with white caps and sakura accents
keyboard(img, 20, 70, 14, 5, 6, 6, 1)
png(img, here / "snow-white-tkl.png")

img = canvas(3)  # Pastel Deskmat: a sakura mat with a stitched edge and clouds
rect(img, 30, 60, 450, 250, 5, 26)
rect(img, 34, 64, 446, 246, 1, 24)
for x in range(50, 430, 12):
    rect(img, x, 72, x + 6, 74, 6)
    rect(img, x, 236, x + 6, 238, 6)
for cx, cy in ((140, 130), (300, 170), (380, 110)):
    ellipse(img, cx, cy, 34, 16, 6)
    ellipse(img, cx - 18, cy + 4, 20, 12, 6)
png(img, here / "pastel-deskmat.png")

img = canvas(2)  # Frost Witch 65%: a lavender case, sky caps, mint accents
keyboard(img, 20, 85, 14, 4, 3, 2, 4)
png(img, here / "frost-witch-65.png")

img = canvas(3)  # Cloud Artisan Keycap: one big cap with a resin cloud and a rainbow
rect(img, 157, 57, 323, 243, 5, 30)
rect(img, 160, 60, 320, 240, 2, 28)
rect(img, 180, 78, 300, 210, 6, 22)
for i, c in enumerate((1, 4, 2, 6)):  # a rainbow: rings, then the face below the horizon
    ellipse(img, 240, 170, 48 - 11 * i, 48 - 11 * i, c)
rect(img, 182, 171, 299, 209, 6)
ellipse(img, 214, 172, 26, 16, 3)  # the cloud it rests on
ellipse(img, 250, 168, 30, 19, 3)
ellipse(img, 276, 176, 18, 12, 3)
png(img, here / "cloud-keycap.png")
