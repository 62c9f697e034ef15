"""Export files in the encodings CRMs write, made readable by DuckDB's CSV reader (UTF-8 only).

Salesforce's Data Export writes UTF-8; a file opened and saved in Excel on Windows is Windows-1252,
or UTF-16 with a byte-order mark (and TAB-separated) when saved as "Unicode Text".

- A UTF-8 file (with or without a byte-order mark, which DuckDB skips) is read as it is.
- A file that starts with a UTF-16 byte-order mark (LE or BE) is transcoded, streaming, to a
  temporary UTF-8 copy.
- A file that is not UTF-8 but reads as Windows-1252 is transcoded the same way.
- A file with valid UTF-8 characters *and* bytes UTF-8 cannot read mixes encodings: no single
  reading of it is right, so it is refused, naming its first bad line.
- A file whose first bytes show it is something else (UTF-32, UTF-16 without a byte-order mark
  — told by its NUL bytes —, an Excel workbook) is refused as what it is: read as text, its header
  would come out as garbage and the file be refused for "missing columns" it does have.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from orchestration.salesforce.export import ExportError

CHUNK = 1 << 20
FALLBACK = "cp1252"
SAMPLE = 4096  # enough bytes to tell an encoding by its byte-order mark or its pattern of NULs
RULE = ("rule: export files are UTF-8, UTF-16 with a byte-order mark, or Windows-1252 text; "
        "save it as CSV UTF-8")
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_CODEC_NAMES = {"utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}
# What a file's first bytes say it is, when that is nothing we read. The UTF-32 LE mark starts
# with the UTF-16 LE one, so these are checked before a UTF-16 mark is taken as one.
_REFUSED_SIGNATURES = (
    (codecs.BOM_UTF32_LE, "UTF-32 LE text (it starts with the UTF-32 byte-order mark FF FE 00 00)"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE text (it starts with the UTF-32 byte-order mark 00 00 FE FF)"),
    (b"PK\x03\x04", "a zip archive, such as an Excel workbook (.xlsx), not CSV text (it starts with PK)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls), not CSV text"),
)


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _head(path: Path) -> bytes:
    with open_bytes(path) as stream:
        return stream.read(SAMPLE)


def _nul_share(sample: bytes, start: int, step: int) -> float:
    part = sample[start::step]
    return part.count(0) / len(part)


def nul_pattern(head: bytes) -> str | None:
    """What a sample whose NUL bytes fall in a fixed pattern is: UTF-32 or UTF-16 text without a
    byte-order mark. (In UTF-16 every ASCII character has a NUL byte; CSV text we read has none.)
    None when the sample has no such pattern."""
    sample = head[: len(head) // 4 * 4]
    if len(sample) < 8 or 0 not in sample:
        return None
    for name, nul_bytes in (("UTF-32 LE", (2, 3)), ("UTF-32 BE", (0, 1))):
        if all(_nul_share(sample, i, 4) > 0.95 for i in nul_bytes):
            return f"{name} text without a byte-order mark (two bytes in every four are NUL)"
    for name, nul_at, which in (("UTF-16 LE", 1, "second"), ("UTF-16 BE", 0, "first")):
        if _nul_share(sample, nul_at, 2) > 0.5 and _nul_share(sample, 1 - nul_at, 2) < 0.05:
            return (f"{name} text without a byte-order mark (the {which} byte of "
                    f"{_nul_share(sample, nul_at, 2):.0%} of its byte pairs is NUL)")
    return None


def refusal(head: bytes) -> str | None:
    """What the file starting with `head` is, when it is no text we can read; None otherwise.
    (UTF-16 with a byte-order mark has NUL bytes too, but is read: see `utf8_readable`.)"""
    for signature, what in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            return what
    return None if _utf16_codec(head) else nul_pattern(head)


def _utf16_codec(head: bytes) -> str | None:
    return next((codec for bom, codec in _UTF16_BOMS.items() if head.startswith(bom)), None)


def _first_invalid_utf8(path: Path) -> tuple[int, bool] | None:
    """(line of the first byte UTF-8 cannot read, whether valid multi-byte characters came before
    it), or None when the whole file is UTF-8. Every step runs in C: this reads every byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, seen_multibyte = 1, False
    with open_bytes(path) as stream:
        while chunk := stream.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                good = error.object[: error.start]  # pending bytes of the last chunk, then this one
                return line + good.count(b"\n"), seen_multibyte or not good.isascii()
            line += chunk.count(b"\n")
            seen_multibyte = seen_multibyte or not chunk.isascii()
    return None


def _unreadable(path: Path, codec: str, line: int, error: UnicodeDecodeError) -> ExportError:
    if codec == FALLBACK:
        return ExportError(
            f"{path}: is neither UTF-8 nor Windows-1252 text (byte 0x{error.object[error.start]:02x} "
            f"on line {line} cannot be read); {RULE}")
    return ExportError(
        f"{path}: starts with the {_CODEC_NAMES[codec]} byte-order mark, but line {line} is not "
        f"UTF-16 text ({error.reason}); {RULE}")


def _transcode(path: Path, target: Path, codec: str, skip: int = 0) -> None:
    """Write the file, read as `codec` after its first `skip` bytes (a byte-order mark), as UTF-8."""
    decoder = codecs.getincrementaldecoder(codec)()
    line = 1
    with open_bytes(path) as source, open(target, "w", encoding="utf-8", newline="") as out:
        source.read(skip)
        try:
            while chunk := source.read(CHUNK):
                text = decoder.decode(chunk)
                out.write(text)
                line += text.count("\n")
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            # the bytes before the bad one (pending ones of the last chunk, then this chunk's)
            before = error.object[: error.start].decode(codec, errors="replace")
            raise _unreadable(path, codec, line + before.count("\n"), error) from None


@contextlib.contextmanager
def _utf8_copy(path: Path, codec: str, skip: int = 0) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="crm_kpi_utf8_") as folder:
        copy = Path(folder) / (path.name.removesuffix(".gz").removesuffix(".GZ"))
        _transcode(path, copy, codec, skip)
        yield copy


@contextlib.contextmanager
def utf8_readable(path: Path) -> Iterator[Path]:
    """`path` itself when DuckDB can read it as it is, else a temporary UTF-8 copy of it."""
    if path.name.lower().endswith(".parquet"):
        yield path
        return
    head = _head(path)
    if (what := refusal(head)) is not None:
        raise ExportError(f"{path}: is {what}; {RULE}")
    if utf16 := _utf16_codec(head):
        with _utf8_copy(path, utf16, skip=2) as copy:
            yield copy
        return
    invalid = _first_invalid_utf8(path)
    if invalid is None:
        yield path
        return
    line, mixed = invalid
    if mixed:
        raise ExportError(
            f"{path}: line {line} is not UTF-8 but earlier lines are: the file mixes UTF-8 with another "
            "encoding; rule: one encoding per file (re-save it as CSV UTF-8)"
        )
    with _utf8_copy(path, FALLBACK) as copy:
        yield copy
