"""What a file that is not a fastnn model looks like, from its first bytes.

Used by :func:`fastnn.load` to say ``not a fastnn model file: it looks like CSV
text`` instead of passing on a reader's error (NumPy's, for instance, suggests
loading pickles, which fastnn never does).
"""
import io
import zipfile

#: Leading bytes of common binary formats -> what to call them.
_MAGIC = (
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PAR1", "a Parquet file"),
    (b"ARROW1", "an Arrow file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable"),
)


def describe_content(raw):
    """A short phrase for what ``raw`` (a file's bytes) looks like.

    Parameters
    ----------
    raw : bytes

    Returns
    -------
    str
        For example ``'CSV text'``, ``'a NumPy .npz archive of arrays 'X', 'y''``,
        ``'a Python pickle'``, ``'an empty file'``.
    """
    if not raw:
        return "an empty file"
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06"):
        return _describe_zip(raw)
    if raw[:1] == b"\x80" and raw[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (such as a joblib file), which fastnn does not load"
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            return what
    return _describe_text(raw[:65536])


def _describe_zip(raw):
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        return "a truncated or damaged ZIP archive"
    if "schema.json" in names:
        return "a skops file (load it with skops.io.load)"
    arrays = [n[:-4] for n in names if n.endswith(".npy")]
    if names and len(arrays) == len(names):
        shown = ", ".join(repr(a) for a in arrays[:6]) + (" ..." if len(arrays) > 6 else "")
        return f"a NumPy .npz archive of arrays {shown}"
    return "a ZIP archive"


def _describe_text(head):
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end
            return "binary data of an unknown kind"
        text = head[: exc.start].decode("utf-8")
    if "\x00" in text:
        return "binary data of an unknown kind"
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        return "a text file of blank lines"
    if stripped[0] in "{[":
        return "JSON text"
    lines = [line for line in stripped.splitlines()[:20] if line.strip()]
    if len(lines) == len(stripped.splitlines()[:20]) and len(lines) < 20:
        lines = lines[:-1] or lines  # the last line may be cut off
    for sep, what in (("\t", "TSV text"), (",", "CSV text"), (";", "CSV text (';'-separated)")):
        counts = {line.count(sep) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return what
    return "text"
