"""Typed, versioned columnar files: what the steps store on disk instead of pickles.

A file is a zip archive (readable as an ``.npz`` with ``numpy.load(path,
allow_pickle=False)``) holding

* ``header.json`` (first member): the container name and version, the *kind* of data
  and its format version, the triage version that wrote it, the kind's metadata (plain
  JSON) and a declaration of every column (name, type, dtype, shape);
* one ``.npy`` member per numeric column (any shape; bool, integer, float dtypes);
* three ``.npy`` members per string column (a column of ``str`` or ``None``):
  ``NAME.codes`` (int32 index into the column's distinct values, -1 = None),
  ``NAME.utf8`` (the distinct values concatenated, UTF-8 encoded) and ``NAME.offsets``
  (int64, where each value starts and ends in that text, in code points). Any Python string,
  including empty strings and strings with NUL or non-ASCII characters, round-trips
  exactly; ``None`` stays ``None``.

Why: a pickle executes code when loaded and breaks when a class moves. Reading here is
``json`` + ``numpy`` with ``allow_pickle=False`` and never executes anything from the
file; every member's dtype and shape is checked against the header, so a member
carrying a pickled object array is refused with a :class:`~triage.errors.DataError`.
A file of another kind or format version is refused with a message naming the file
and both versions. The header alone is read cheaply (:func:`read_header`), e.g. to
check whose sample a stored annotation is before loading it.

Writes go to a temporary file in the target directory and are renamed into place, so
concurrent readers never see a half-written file; member timestamps are fixed, so the
same data gives the same bytes.

The kinds and their schemas live with their data: :mod:`triage.variants.annotation_store`
(annotated variants and cases), :mod:`triage.phenotype.knowledge` (the compiled HPO
release). Format description: ``docs/storage.md``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage import __version__
from triage.arrays import AnyArray, Int32Array, IntArray, ObjectArray
from triage.errors import DataError

CONTAINER = "triage-columnar"
CONTAINER_VERSION = 1
HEADER = "header.json"
#: numeric dtype kinds a column may have (bool, signed/unsigned int, float)
_NUMERIC_KINDS = frozenset("biuf")
_MAX_HEADER_BYTES = 64 << 20
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class StoreVersionError(DataError):
    """The file is a columnar file of another kind or format version."""


# --------------------------------------------------------------------------- strings
def encode_strings(values: Iterable[str | None]) -> tuple[Int32Array, NDArray[np.uint8], IntArray]:
    """(codes int32, utf8 uint8, offsets int64) of a sequence of ``str``/``None``.

    Raises TypeError for any other value (numbers, bytes, numpy strings): the column
    would not round-trip exactly.
    """
    lookup: dict[str, int] = {}
    codes: list[int] = []
    append = codes.append
    for v in values:
        if v is None:
            append(-1)
            continue
        if type(v) is not str:
            raise TypeError(f"string column holds a {type(v).__name__} ({v!r})")
        c = lookup.get(v)
        if c is None:
            c = lookup[v] = len(lookup)
        append(c)
    distinct = list(lookup)
    offsets = np.zeros(len(distinct) + 1, dtype=np.int64)
    if distinct:
        np.cumsum([len(s) for s in distinct], out=offsets[1:])
    utf8 = np.frombuffer("".join(distinct).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return np.asarray(codes, dtype=np.int32), utf8, offsets


def decode_strings(codes: AnyArray, utf8: AnyArray, offsets: AnyArray,
                   where: str = "") -> ObjectArray:
    """Object array of ``str``/``None`` from :func:`encode_strings`' three arrays."""
    try:
        text = utf8.tobytes().decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: string column is not valid UTF-8 ({exc})") from None
    n_distinct = len(offsets) - 1
    if n_distinct < 0 or offsets[0] != 0 or offsets[-1] != len(text) or np.any(np.diff(offsets) < 0):
        raise DataError(f"{where}: string column offsets are inconsistent")
    if len(codes) and (codes.min() < -1 or codes.max() >= n_distinct):
        raise DataError(f"{where}: string column codes out of range")
    bounds = offsets.tolist()
    table: ObjectArray = np.empty(n_distinct + 1, dtype=object)
    table[:n_distinct] = [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    table[n_distinct] = None  # code -1
    return table[codes]


# --------------------------------------------------------------------------- writing
def _check_name(name: str) -> None:
    if not name or not set(name) <= _NAME_OK:
        raise ValueError(f"column name {name!r}: use letters, digits and '_'")


def _npy_bytes(a: AnyArray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def check_json(value: Any, where: str = "meta") -> None:
    """Raise TypeError unless ``value`` is plain JSON data that round-trips exactly
    (dicts with str keys, lists, str, int, float, bool, None; no tuples)."""
    if value is None or type(value) in (str, int, float, bool):
        return
    if type(value) is list:
        for i, v in enumerate(value):
            check_json(v, f"{where}[{i}]")
        return
    if type(value) is dict:
        for k, v in value.items():
            if type(k) is not str:
                raise TypeError(f"{where}: key {k!r} is not a string")
            check_json(v, f"{where}.{k}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not plain JSON data ({value!r})")


def write(path: str | Path, kind: str, version: int, meta: Mapping[str, Any],
          columns: Mapping[str, AnyArray | Sequence[Any]], *, compress: bool = True) -> None:
    """Write ``columns`` and ``meta`` as a ``kind`` file of format ``version``, atomically.

    A column that is an object array or a list is a string column (``str``/``None``
    only); anything else must be a numeric numpy array.
    """
    path = Path(path)
    meta = dict(meta)
    check_json(meta)
    decl: dict[str, dict[str, Any]] = {}
    members: list[tuple[str, bytes]] = []
    for name, col in columns.items():
        _check_name(name)
        if isinstance(col, np.ndarray) and col.dtype != object:
            if col.dtype.kind not in _NUMERIC_KINDS:
                raise TypeError(f"column {name}: dtype {col.dtype} is not storable")
            decl[name] = {"type": "array", "dtype": col.dtype.str, "shape": list(col.shape)}
            members.append((f"{name}.npy", _npy_bytes(col)))
            continue
        if isinstance(col, np.ndarray) and col.ndim != 1:
            raise TypeError(f"column {name}: a string column must be one-dimensional")
        try:
            codes, utf8, offsets = encode_strings(col)
        except TypeError as exc:
            raise TypeError(f"column {name}: {exc}") from None
        decl[name] = {"type": "str", "length": int(len(codes)), "distinct": int(len(offsets) - 1)}
        members += [(f"{name}.codes.npy", _npy_bytes(codes)), (f"{name}.utf8.npy", _npy_bytes(utf8)),
                    (f"{name}.offsets.npy", _npy_bytes(offsets))]
    header = {"format": CONTAINER, "container_version": CONTAINER_VERSION, "kind": kind,
              "version": int(version), "triage_version": __version__, "meta": meta,
              "columns": decl}
    head = json.dumps(header, ensure_ascii=False, allow_nan=True, indent=None).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
            for mname, data in [(HEADER, head), *members]:
                info = zipfile.ZipInfo(mname, date_time=_ZIP_TIME)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                zf.writestr(info, data, compresslevel=1 if method == zipfile.ZIP_DEFLATED else None)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- reading
def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise DataError(f"{path}: not a triage columnar file ({exc}); if it is a .pkl of an "
                        "older triage, re-create it with this version") from None


def _header(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        info = zf.getinfo(HEADER)
    except KeyError:
        raise DataError(f"{path}: not a triage columnar file (no {HEADER})") from None
    if info.file_size > _MAX_HEADER_BYTES:
        raise DataError(f"{path}: {HEADER} is implausibly large ({info.file_size} bytes)")
    try:
        head = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: unreadable {HEADER} ({exc})") from None
    if not isinstance(head, dict) or head.get("format") != CONTAINER:
        raise DataError(f"{path}: not a triage columnar file (header format "
                        f"{head.get('format') if isinstance(head, dict) else None!r})")
    if head.get("container_version") != CONTAINER_VERSION:
        raise StoreVersionError(
            f"{path}: columnar container version {head.get('container_version')!r}, this triage "
            f"({__version__}) reads version {CONTAINER_VERSION}")
    if not isinstance(head.get("meta"), dict) or not isinstance(head.get("columns"), dict):
        raise DataError(f"{path}: malformed {HEADER} (meta/columns missing)")
    return head


def _check_kind(head: dict[str, Any], path: Path, kind: str, version: int, hint: str) -> None:
    if head.get("kind") != kind:
        raise StoreVersionError(f"{path}: holds {head.get('kind')!r}, expected {kind!r}")
    if head.get("version") != version:
        writer = head.get("triage_version", "unknown")
        raise StoreVersionError(
            f"{path}: {kind} format version {head.get('version')!r} (written by triage {writer}); "
            f"this triage ({__version__}) reads version {version}" + (f"; {hint}" if hint else ""))


def read_header(path: str | Path, kind: str, version: int, hint: str = "") -> dict[str, Any]:
    """The validated header (``meta`` holds the kind's metadata); reads no column."""
    path = Path(path)
    with _open(path) as zf:
        head = _header(zf, path)
    _check_kind(head, path, kind, version, hint)
    return head


def _read_npy(zf: zipfile.ZipFile, member: str, path: Path) -> AnyArray:
    try:
        with zf.open(member) as fh:
            a: AnyArray = np.lib.format.read_array(fh, allow_pickle=False)
            return a
    except KeyError:
        raise DataError(f"{path}: member {member} missing") from None
    except ValueError as exc:  # e.g. an object (pickled) array, a bad .npy header
        raise DataError(f"{path}: member {member} refused ({exc})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: member {member} unreadable ({exc})") from None


def _read_array(zf: zipfile.ZipFile, member: str, path: Path, dtype: str,
                shape: Sequence[int] | None) -> AnyArray:
    want = np.dtype(dtype)
    if want.kind not in _NUMERIC_KINDS:
        raise DataError(f"{path}: member {member} declares dtype {dtype}, which is not storable")
    a = _read_npy(zf, member, path)
    if a.dtype != want or (shape is not None and list(a.shape) != list(shape)):
        raise DataError(f"{path}: member {member} is {a.dtype}{list(a.shape)}, header says "
                        f"{want}{list(shape) if shape is not None else ''}")
    return a


def read(path: str | Path, kind: str, version: int, names: Iterable[str] | None = None,
         hint: str = "") -> tuple[dict[str, Any], dict[str, AnyArray]]:
    """(header, columns) of a ``kind`` file of format ``version``; ``names``: only these.

    String columns come back as object arrays of ``str``/``None``.
    """
    path = Path(path)
    with _open(path) as zf:
        head = _header(zf, path)
        _check_kind(head, path, kind, version, hint)
        decl: dict[str, Any] = head["columns"]
        wanted = list(decl) if names is None else list(names)
        cols: dict[str, AnyArray] = {}
        for name in wanted:
            d = decl.get(name)
            if not isinstance(d, dict):
                raise DataError(f"{path}: no column {name!r}")
            if d.get("type") == "array":
                cols[name] = _read_array(zf, f"{name}.npy", path, str(d.get("dtype")), d.get("shape"))
            elif d.get("type") == "str":
                n = int(d.get("length", -1))
                codes = _read_array(zf, f"{name}.codes.npy", path, "<i4", [n])
                utf8 = _read_array(zf, f"{name}.utf8.npy", path, "|u1", None)
                offsets = _read_array(zf, f"{name}.offsets.npy", path, "<i8", None)
                if utf8.ndim != 1 or offsets.ndim != 1:
                    raise DataError(f"{path}: string column {name} is not one-dimensional")
                cols[name] = decode_strings(codes, utf8, offsets, f"{path}: column {name}")
            else:
                raise DataError(f"{path}: column {name!r} has unknown type {d.get('type')!r}")
    return head, cols


def split_ragged(ptr: AnyArray, values: AnyArray | list[Any], where: str = "") -> list[Any]:
    """``[values[ptr[i]:ptr[i+1]] ...]`` (views of an array, or lists) after checking
    ``ptr`` (CSR row pointers)."""
    if ptr.ndim != 1 or len(ptr) < 1 or ptr[0] != 0 or ptr[-1] != len(values) or np.any(np.diff(ptr) < 0):
        raise DataError(f"{where}: ragged column pointers are inconsistent")
    b = ptr.tolist()
    return [values[i:j] for i, j in zip(b[:-1], b[1:], strict=True)]


def ragged_ptr(lengths: Iterable[int]) -> IntArray:
    """CSR row pointers (int64) for rows of these lengths."""
    ls = np.fromiter(lengths, dtype=np.int64)
    ptr = np.zeros(len(ls) + 1, dtype=np.int64)
    np.cumsum(ls, out=ptr[1:])
    return ptr


__all__ = [
    "CONTAINER", "CONTAINER_VERSION", "StoreVersionError", "check_json", "decode_strings",
    "encode_strings", "ragged_ptr", "read", "read_header", "split_ragged", "write",
]
