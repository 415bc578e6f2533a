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


def fmt_prob(p: float | None, sig: int = 3, one: str = "1 - <1e-15") -> str:
    """A probability for people: ``sig`` significant digits, except near 1, where the
    complement decides the digits (0.99984, never a rounded "1"): a posterior of
    0.9990 and one of 0.999999 are different strengths of evidence. ``one``: the text of
    a value whose complement is below double precision (tables pass ``"1"``).

    >>> fmt_prob(0.9998413), fmt_prob(0.5912), fmt_prob(8.867e-05), fmt_prob(1.0)
    ('0.99984', '0.591', '8.87e-05', '1 - <1e-15')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    p = float(p)
    q = 1.0 - p
    if p < 0.99 or q < 0:
        return f"{p:.{sig}g}"
    if q < 1e-15:  # at double precision the complement is lost
        return one
    decimals = max(sig, int(math.floor(-math.log10(q))) + 2)  # >= two significant digits of 1 - p
    return f"{p:.{decimals}f}".rstrip("0")


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
