"""Export files in the encodings CRMs write, made readable by DuckDB's CSV reader (UTF-8 only).

Salesforce's Data Export writes UTF-8; a file opened and saved in Excel on Windows is Windows-1252.
A UTF-8 file (with or without a byte-order mark, which DuckDB skips) is read as it is. A file that
is not UTF-8 but reads as Windows-1252 is transcoded, streaming, to a temporary UTF-8 copy. A file
with valid UTF-8 characters *and* bytes UTF-8 cannot read mixes encodings: no single reading of it
is right, so it is refused, naming its first bad line.
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


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


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


def _transcode(path: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder(FALLBACK)()
    with open_bytes(path) as source, open(target, "w", encoding="utf-8", newline="") as out:
        try:
            while chunk := source.read(CHUNK):
                out.write(decoder.decode(chunk))
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            raise ExportError(
                f"{path}: is neither UTF-8 nor Windows-1252 text (byte 0x{error.object[error.start]:02x} "
                f"cannot be read); rule: export files are UTF-8 (or Windows-1252), save it as CSV UTF-8"
            ) from None


@contextlib.contextmanager
def utf8_readable(path: Path) -> Iterator[Path]:
    """`path` itself when DuckDB can read it as it is, else a temporary UTF-8 copy of it."""
    if path.name.lower().endswith(".parquet"):
        yield path
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
    with tempfile.TemporaryDirectory(prefix="crm_kpi_utf8_") as folder:
        copy = Path(folder) / (path.name.removesuffix(".gz").removesuffix(".GZ"))
        _transcode(path, copy)
        yield copy
