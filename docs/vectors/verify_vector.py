#!/usr/bin/env python3
"""Independent check of docs/vectors/capture-v1 written from docs/bundle.md and docs/manifest.md
alone (Python standard library + pyca/cryptography), to show the formats can be implemented
without the Rust code. Exit status 0 when every check holds.

    python3 docs/vectors/verify_vector.py [docs/vectors/capture-v1]
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ORDER = [b"MANI", b"SIGN", b"IMAG", b"RCPT", b"LOGP", b"END."]


def parse_bundle(data: bytes) -> dict:
    assert data[:8] == b"TSBUNDLE", "magic"
    assert struct.unpack(">H", data[8:10])[0] == 1, "version"
    pos, sections, last = 10, {}, -1
    while True:
        tag = data[pos:pos + 4]
        (length,) = struct.unpack(">Q", data[pos + 4:pos + 12])
        rank = ORDER.index(tag)
        assert rank > last, f"section order at {tag!r}"
        last = rank
        payload = data[pos + 12:pos + 12 + length]
        assert len(payload) == length, f"truncated {tag!r}"
        if tag == b"END.":
            assert hashlib.sha256(data[:pos]).digest() == payload, "checksum"
            assert pos + 12 + length == len(data), "trailing bytes"
            return sections
        sections[tag] = payload
        pos += 12 + length


def canonical(value) -> bytes:
    def check_ints(v):
        if isinstance(v, float):
            raise AssertionError("floats are not allowed")
        if isinstance(v, dict):
            for x in v.values():
                check_ints(x)
        if isinstance(v, list):
            for x in v:
                check_ints(x)
    check_ints(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def main() -> int:
    d = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "capture-v1")
    sections = parse_bundle((d / "bundle.tsb").read_bytes())
    manifest_bytes, sig, image = sections[b"MANI"], sections[b"SIGN"], sections[b"IMAG"]
    manifest = json.loads(manifest_bytes)
    checks = {
        "manifest bytes are the documented file": manifest_bytes == (d / "manifest.json").read_bytes(),
        "manifest is canonical": canonical(manifest) == manifest_bytes,
        "format and version": manifest["format"] == "tallyseal.capture" and manifest["v"] == 1,
        "image hash matches": hashlib.sha256(image).hexdigest() == manifest["image"]["sha256"],
        "image length matches": len(image) == manifest["image"]["bytes"],
        "manifest hash": hashlib.sha256(manifest_bytes).hexdigest()
        == (d / "manifest.sha256").read_text().strip(),
        "signature file": sig.hex() == (d / "signature.hex").read_text().strip(),
        "device key is seed 01*32": Ed25519PrivateKey.from_private_bytes(bytes([1] * 32))
        .public_key().public_bytes_raw().hex() == manifest["device"]["key"],
    }
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest["device"]["key"]))
    try:
        key.verify(sig, b"tallyseal/capture-manifest/v1\x00" + manifest_bytes)
        checks["signature verifies"] = True
    except Exception:  # noqa: BLE001 - report, don't crash
        checks["signature verifies"] = False
    tampered = bytearray(manifest_bytes)
    tampered[-3] ^= 1
    try:
        key.verify(sig, b"tallyseal/capture-manifest/v1\x00" + bytes(tampered))
        checks["tampered manifest is rejected"] = False
    except Exception:  # noqa: BLE001
        checks["tampered manifest is rejected"] = True
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    failed = sum(not ok for ok in checks.values())
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
