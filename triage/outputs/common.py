"""Small helpers shared by the output writers (no format logic)."""

from __future__ import annotations

import math
from typing import Any

from triage import __version__
from triage.models import TriageResult


def versions_line(result: TriageResult) -> str:
    """The ``# triage ... key=value`` first line of every TSV: software, schema, data versions."""
    return (f"# triage {__version__} schema {result.schema_version} "
            + " ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in result.data_versions.items()))


def fmt(x: Any, nd: int = 6) -> str:
    """A table cell: '' for None/NaN, ``nd`` significant digits for floats."""
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        return f"{x:.{nd}g}"
    return str(x)


#: longest file-name prefix kept verbatim (file names are at most 255 bytes with suffixes)
MAX_PREFIX = 160


def file_prefix(sample: str) -> str:
    """Output file prefix of a sample id: injective, so two samples never share files.

    Characters other than letters, digits and ``._-`` are percent-encoded (``a/b`` ->
    ``a%2Fb``, never ``a_b``); an id longer than :data:`MAX_PREFIX` keeps its start and
    gets a hash of the whole id.
    """
    import hashlib
    from urllib.parse import quote

    p = quote(sample, safe="-._")
    if p.startswith("."):
        p = "%2E" + p[1:]
    if len(p) > MAX_PREFIX:
        p = p[:MAX_PREFIX - 17] + "~" + hashlib.sha256(sample.encode()).hexdigest()[:16]
    return p or "sample"
