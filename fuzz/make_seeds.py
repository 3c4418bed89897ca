#!/usr/bin/env python3
"""Build the committed exif seeds (fuzz/seeds/exif/) and a larger local corpus (fuzz/corpus/exif/,
gitignored) from the test fixtures. Run from the repository root or from fuzz/."""
import os, shutil, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
images = os.path.join(root, "testdata", "images")
seeds = os.path.join(root, "fuzz", "seeds", "exif")
corpus = os.path.join(root, "fuzz", "corpus", "exif")
os.makedirs(seeds, exist_ok=True)
os.makedirs(corpus, exist_ok=True)

def tiff_block(jpeg):
    i = 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        n = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        seg = jpeg[i + 4:i + 2 + n]
        if marker == 0xE1 and seg.startswith(b"Exif\0\0"):
            return seg[6:]
        if marker == 0xDA:
            return None
        i += 2 + n
    return None

def wrap_jpeg(t):
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(t) + 8) + b"Exif\0\0" + t + b"\xff\xd9"

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + b"\0\0\0\0"

def wrap_png(t):
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]))
            + chunk(b"eXIf", t) + chunk(b"IEND", b""))

def wrap_webp(t):
    body = b"WEBP"
    for kind, data in ((b"VP8X", bytes(10)), (b"EXIF", t)):
        body += kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body

def bmff(kind, body):
    return struct.pack(">I", len(body) + 8) + kind + body

def wrap_heif(t, in_idat):
    ftyp = bmff(b"ftyp", b"heic\0\0\0\0mif1heic")
    item = b"\0\0\0\0" + t
    infe = bmff(b"infe", bytes([2, 0, 0, 0, 0, 1, 0, 0]) + b"Exif")
    iinf = bmff(b"iinf", bytes([0, 0, 0, 0, 0, 1]) + infe)
    def meta(offset):
        b = bytes([1, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 1 if in_idat else 0, 0, 0, 0, 1])
        b += struct.pack(">II", offset, len(item))
        m = b"\0\0\0\0" + iinf + bmff(b"iloc", b)
        if in_idat:
            m += bmff(b"idat", item)
        return bmff(b"meta", m)
    if in_idat:
        return ftyp + meta(0)
    at = len(ftyp) + len(meta(0)) + 8
    return ftyp + meta(at) + bmff(b"mdat", item)

def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

small = ["phone_gps/apple_iphone7_exiftool_sample.jpg", "phone_nogps/motorola_XT1575_exiftool_sample.jpg",
         "camera_gps/ricoh_caplio_pro_g3_exiftool_sample.jpg", "camera_gps/gopro_hero6_exiftool_sample.jpg",
         "camera_gps/kodak_CX7530_kenya_equator.jpg"]
for rel in small:
    data = open(os.path.join(images, rel), "rb").read()
    put(seeds, os.path.basename(rel), data)
block = tiff_block(open(os.path.join(images, small[0]), "rb").read())
for name, data in (("sample.tif", block), ("sample.png", wrap_png(block)), ("sample.webp", wrap_webp(block)),
                   ("sample_idat.heic", wrap_heif(block, True)), ("sample_mdat.heic", wrap_heif(block, False))):
    put(seeds, name, data)

# Local corpus: the seeds, plus the EXIF block of every JPEG fixture re-wrapped in a minimal JPEG,
# plus the first 64 KiB of each HEIC fixture.
for name in os.listdir(seeds):
    shutil.copy(os.path.join(seeds, name), os.path.join(corpus, name))
for sub in sorted(os.listdir(images)):
    d = os.path.join(images, sub)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        data = open(os.path.join(d, name), "rb").read()
        if name.endswith(".jpg"):
            t = tiff_block(data)
            if t is not None:
                put(corpus, "block_" + name, wrap_jpeg(t))
        elif name.endswith(".heic"):
            put(corpus, "head_" + name, data[:65536])
total = sum(os.path.getsize(os.path.join(seeds, n)) for n in os.listdir(seeds))
print(f"seeds: {len(os.listdir(seeds))} files, {total} bytes; corpus: {len(os.listdir(corpus))} files")
