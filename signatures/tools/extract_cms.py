#!/usr/bin/env python3
"""Cut a signed PDF into what an independent tool needs: each signature's CMS and the bytes it signs.

Standard library only, so it does not share code with the signer it helps to check:

    python3 signatures/tools/extract_cms.py signed.pdf OUTDIR
    openssl cms -verify -binary -inform DER -in OUTDIR/sig-1.der -content OUTDIR/signed-1.bin \\
        -CAfile var/trust/roots/kezek-demo-root.pem -purpose any -out /dev/null

For every /ByteRange [a b c d] in the file it writes sig-N.der (the DER CMS from /Contents, without the
zero padding) and signed-N.bin (bytes a..a+b followed by c..c+d: the whole file except /Contents).
"""

import re
import sys
from pathlib import Path

BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def der_length(data: bytes) -> int:
    """Length of the first DER object in `data` (tag, length, content)."""
    if len(data) < 2:
        raise ValueError("too short for DER")
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4:
        raise ValueError("indefinite or oversized DER length")
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def extract(pdf: bytes) -> list[tuple[bytes, bytes, tuple[int, int, int, int]]]:
    """(cms_der, signed_bytes, byte_range) for every signature, in file order."""
    found = []
    for match in BYTE_RANGE.finditer(pdf):
        a, b, c, d = (int(x) for x in match.groups())
        if a != 0 or a + b > c or c + d > len(pdf):
            raise ValueError(f"implausible /ByteRange {a} {b} {c} {d}")
        contents = pdf[a + b : c].strip()
        if not (contents.startswith(b"<") and contents.endswith(b">")):
            raise ValueError("/Contents is not a hex string between the byte ranges")
        raw = bytes.fromhex(contents[1:-1].decode("ascii"))
        cms = raw[: der_length(raw)]
        found.append((cms, pdf[a : a + b] + pdf[c : c + d], (a, b, c, d)))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: extract_cms.py SIGNED.pdf OUTDIR", file=sys.stderr)
        return 2
    pdf = Path(argv[1]).read_bytes()
    out = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    signatures = extract(pdf)
    if not signatures:
        print("no signatures (/ByteRange) found", file=sys.stderr)
        return 1
    for number, (cms, signed, byte_range) in enumerate(signatures, start=1):
        (out / f"sig-{number}.der").write_bytes(cms)
        (out / f"signed-{number}.bin").write_bytes(signed)
        covers = byte_range[2] + byte_range[3] == len(pdf)
        print(f"sig-{number}.der  signed-{number}.bin  ByteRange {list(byte_range)}"
              f"{'  (covers the whole file)' if covers else '  (the file was extended after this signature)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
