"""Optional annotation resources read through pysam/tabix, and pre-annotated INFO fields.

Every resource is optional and configured by path (``resources:`` in the workflow
config, or ``--config`` of ``triage rank``). A missing resource means missing values
(NaN / None) and one log line; nothing fails because a resource is absent. Each
source has a ``version`` string (from its header when it has one, else file name,
size and modification time) that ends up in ``data_versions`` of every output.

Sources
-------
* :class:`PopulationVcf`: gnomAD-style sites VCF (bgzipped + .tbi/.csi). INFO ids for
  the allele frequency, the popmax/grpmax frequency and the homozygote count are
  configurable (defaults: first of ``AF``; ``AF_grpmax``/``AF_popmax``/``popmax``;
  ``nhomalt``).
* :class:`ClinVarVcf`: the ClinVar VCF (``CLNSIG``, ``CLNREVSTAT`` -> review stars).
* :class:`ScoreTable`: per-variant scores (CADD, REVEL, AlphaMissense, ...) in a
  bgzipped, tabix-indexed TSV whose header names the chrom/pos/ref/alt columns and the
  score column. Several rows for one variant (e.g. one per transcript): the maximum.
* :class:`GenePriorTable`: a plain (optionally gzipped) TSV of gene -> value
  (pLI-style constraint, or an expected count of damaging alleles).

Lookups are batched: queries are sorted and grouped into windows, each window is
fetched once, so an exome costs one pass over the relevant blocks of the resource.

Pre-annotated VCFs: :func:`parse_csq_format` / :func:`pick_entries` read Ensembl VEP
``CSQ`` and snpEff ``ANN`` fields (entry for the row's ALT; per gene the most severe
consequence). VEP frequency sub-fields such as ``gnomADe_AF`` are used as population
frequency only when listed in ``population_af_info_fields``.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import DataError
from triage.variants.gene_model import normalize_contig

log = logging.getLogger(__name__)

WINDOW_GAP = 100_000  # queries closer than this share one tabix fetch


# --------------------------------------------------------------------------- helpers
def file_version(path: str | Path, header_lines: Sequence[str] = ()) -> str:
    """``name (fileDate=..., source=...)`` from header lines, else name + size + mtime.

    Never a directory: the string reaches every output file (no local paths there)."""
    p = Path(path)
    keys: list[str] = []
    for line in header_lines:
        m = re.match(r"^##(fileDate|source|version|reference|gnomAD_version|ClinVar.*?)=(.*)$", line)
        if m and len(keys) < 3:
            val = m.group(2).strip()
            if "/" in val and not val.startswith("<"):  # ##reference=file:///local/ref.fa: the name only
                val = val.rstrip("/").rsplit("/", 1)[-1]
            keys.append(f"{m.group(1)}={val[:60]}")
    if keys:
        return f"{p.name} ({', '.join(keys)})"
    try:
        st = p.stat()
        return f"{p.name} (size={st.st_size}, mtime={int(st.st_mtime)})"
    except OSError:
        return p.name


def _contig_map(names: Sequence[str]) -> dict[str, str]:
    return {normalize_contig(c): c for c in names}


def _windows(pos: np.ndarray, gap: int = WINDOW_GAP) -> list[tuple[int, int]]:
    """Index ranges [i, j) of sorted positions split where the gap exceeds ``gap``."""
    if len(pos) == 0:
        return []
    cuts = np.flatnonzero(np.diff(pos) > gap) + 1
    bounds = [0, *cuts.tolist(), len(pos)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _query_groups(chroms: Sequence[str], positions: np.ndarray):
    """Yield (normalised contig, row indices sorted by position)."""
    chrom_arr = np.asarray(chroms, dtype=object)
    norm = (np.array([normalize_contig(str(c)) for c in chrom_arr], dtype=object)
            if len(chrom_arr) else chrom_arr)
    for c in dict.fromkeys(norm.tolist()):
        idx = np.flatnonzero(norm == c)
        idx = idx[np.argsort(positions[idx], kind="stable")]
        yield c, idx


def _windowed_fetch(chroms: Sequence[str], positions: np.ndarray, contigs: dict[str, str], fetch):
    """Yield (records of one tabix window, indices of the queries inside it).

    Queries are grouped by contig (through the file's contig names; an absent contig
    yields nothing) and split into windows of nearby positions, so one ``fetch`` serves
    many queries. A contig the index does not know (ValueError) is skipped.
    """
    for c, idx in _query_groups(chroms, positions):
        contig = contigs.get(c)
        if contig is None:
            continue
        p = positions[idx]
        for i, j in _windows(p):
            try:
                records = fetch(contig, int(p[i]) - 1, int(p[j - 1]))
            except ValueError:
                continue
            yield records, idx[i:j].tolist()


class _Source:
    name = "resource"
    kind = "resource"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.kind} resource not found: {self.path}")
        self.version = file_version(self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.version!r})"


# --------------------------------------------------------------------------- VCF sources
class _TabixVcf(_Source):
    """Sites VCF with an index; ``fields`` maps output names to INFO ids."""

    def __init__(self, path: str | Path, fields: dict[str, str | None]):
        super().__init__(path)
        import pysam

        try:
            self._vf = pysam.VariantFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot open {self.kind} VCF {self.path}: {exc}") from exc
        if self._vf.index is None:
            raise DataError(f"{self.kind} VCF {self.path} has no tabix/csi index (run tabix -p vcf)")
        header_lines = str(self._vf.header).splitlines()
        self.version = file_version(self.path, header_lines)
        info = self._vf.header.info
        self.fields = {k: v for k, v in fields.items() if v and v in info}
        self.numbers = {k: str(info[v].number) for k, v in self.fields.items()}
        # (pysam's stubs type these keys int | str; iterating yields the contig names)
        self._contigs = _contig_map([str(c) for c in self._vf.header.contigs]
                                    or [str(c) for c in self._vf.index])

    def _values(self, rec: Any, k_alt: int) -> dict[str, Any]:
        out = {}
        for name, fid in self.fields.items():
            try:
                v = rec.info[fid]
            except (KeyError, ValueError):
                v = None
            if isinstance(v, tuple):
                if self.numbers[name] == "A":
                    v = v[k_alt] if k_alt < len(v) else None
                elif self.numbers[name] == "R":
                    v = v[k_alt + 1] if k_alt + 1 < len(v) else None
                else:
                    v = ",".join(str(x) for x in v if x is not None)
            out[name] = v
        return out

    def lookup_raw(self, chroms: Sequence[str], positions: np.ndarray, refs: Sequence[str],
                   alts: Sequence[str]) -> dict[str, list[Any]]:
        n = len(positions)
        positions = np.asarray(positions, dtype=np.int64)
        out: dict[str, list[Any]] = {k: [None] * n for k in self.fields}
        for it, queries in _windowed_fetch(chroms, positions, self._contigs, self._vf.fetch):
            found: dict[tuple[int, str, str], dict[str, Any]] = {}
            for rec in it:
                for k, a in enumerate(rec.alts or ()):
                    found[(rec.pos, rec.ref.upper(), a.upper())] = self._values(rec, k)
            for q in queries:
                hit = found.get((int(positions[q]), str(refs[q]).upper(), str(alts[q]).upper()))
                if hit:
                    for name, v in hit.items():
                        out[name][q] = v
        return out

    def close(self) -> None:
        self._vf.close()


def _float_array(vals: list[Any]) -> np.ndarray:
    out = np.full(len(vals), np.nan)
    for i, v in enumerate(vals):
        if v is None or v == ".":
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            continue
    return out


class PopulationVcf(_TabixVcf):
    """gnomAD-style population frequencies: ``af``, ``popmax``, ``nhomalt`` (NaN when absent)."""

    kind = "population frequency"
    name = "population"

    def __init__(self, path: str | Path, af_field: str | None = None, popmax_field: str | None = None,
                 nhomalt_field: str | None = None):
        import pysam

        if not Path(path).is_file():
            raise DataError(f"{self.kind} resource not found: {path}")
        try:
            with pysam.VariantFile(str(path)) as vf:
                info = set(vf.header.info)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot open {self.kind} VCF {path}: {exc}") from exc

        def pick(given, cands):
            if given:
                return given
            return next((c for c in cands if c in info), None)

        fields = {
            "af": pick(af_field, ["AF", "AF_joint", "gnomAD_AF"]),
            "popmax": pick(popmax_field, ["AF_grpmax", "AF_popmax", "popmax", "AF_grpmax_joint"]),
            "nhomalt": pick(nhomalt_field, ["nhomalt", "nhomalt_joint", "AC_Hom"]),
        }
        super().__init__(path, fields)
        if "af" not in self.fields and "popmax" not in self.fields:
            raise DataError(f"population VCF {path}: no allele-frequency INFO field found "
                            f"(looked for {fields['af'] or 'AF'}; set af_field)")

    def lookup(self, chroms, positions, refs, alts) -> dict[str, np.ndarray]:
        raw = self.lookup_raw(chroms, positions, refs, alts)
        n = len(positions)
        return {k: _float_array(raw.get(k, [None] * n)) for k in ("af", "popmax", "nhomalt")}


class ClinVarVcf(_TabixVcf):
    """ClinVar VCF: ``clnsig`` (text, None when absent) and ``stars`` (int8, -1 absent)."""

    kind = "ClinVar"
    name = "clinvar"

    def __init__(self, path: str | Path):
        super().__init__(path, {"clnsig": "CLNSIG", "revstat": "CLNREVSTAT"})

    def lookup(self, chroms, positions, refs, alts) -> dict[str, np.ndarray]:
        from triage.variants.variant_scores import review_stars

        raw = self.lookup_raw(chroms, positions, refs, alts)
        n = len(positions)
        sig = np.empty(n, dtype=object)
        sig[:] = raw.get("clnsig", [None] * n)
        rev = raw.get("revstat", [None] * n)
        stars = np.array([review_stars(r) if s else -1 for s, r in zip(sig, rev, strict=True)],
                         dtype=np.int8)
        return {"clnsig": sig, "stars": stars}


# --------------------------------------------------------------------------- score tables
_CHROM_COLS = ("#chrom", "chrom", "#chr", "chr", "chromosome", "#chromosome")
_POS_COLS = ("pos", "position", "start", "grch38_pos", "hg38_pos", "pos(1-based)")
_REF_COLS = ("ref", "reference")
_ALT_COLS = ("alt", "alternative", "alt_allele")


class ScoreTable(_Source):
    """Bgzipped, tabix-indexed TSV of per-variant scores (CADD/REVEL/AlphaMissense style).

    The header (the last ``#`` line, or the first line) names the columns; ``column``
    is the score column (e.g. ``PHRED``, ``REVEL``, ``am_pathogenicity``).
    """

    kind = "score table"

    def __init__(self, path: str | Path, column: str, name: str | None = None,
                 chrom_col: str | None = None, pos_col: str | None = None,
                 ref_col: str | None = None, alt_col: str | None = None):
        super().__init__(path)
        import pysam

        self.name = name or column
        try:
            self._tf = pysam.TabixFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot open score table {self.path} (bgzip + tabix index needed): {exc}") from exc
        header = list(self._tf.header)
        cols = None
        if header:
            cols = header[-1].lstrip("#").split("\t")
            cols[0] = cols[0]
        else:
            with gzip.open(self.path, "rt") as fh:
                cols = fh.readline().rstrip("\n").split("\t")
        low = [c.lower().lstrip("#") for c in cols]

        def find(given, cands, what):
            if given:
                if given not in cols and given.lower() not in low:
                    raise DataError(f"score table {self.path}: no column {given!r} (columns: {', '.join(cols)})")
                return low.index(given.lower().lstrip("#"))
            for c in cands:
                c = c.lstrip("#")
                if c in low:
                    return low.index(c)
            raise DataError(f"score table {self.path}: cannot find the {what} column (columns: {', '.join(cols)})")

        self.ci = find(chrom_col, _CHROM_COLS, "chromosome")
        self.pi = find(pos_col, _POS_COLS, "position")
        self.ri = find(ref_col, _REF_COLS, "reference allele")
        self.ai = find(alt_col, _ALT_COLS, "alternative allele")
        self.si = find(column, (), "score")
        self.version = file_version(self.path, header[:-1])
        self._contigs = _contig_map(self._tf.contigs)

    def lookup(self, chroms, positions, refs, alts) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        out = np.full(len(positions), np.nan)
        for rows, queries in _windowed_fetch(chroms, positions, self._contigs, self._tf.fetch):
            found: dict[tuple[int, str, str], float] = {}
            for line in rows:
                f = line.split("\t")
                try:
                    key = (int(f[self.pi]), f[self.ri].upper(), f[self.ai].upper())
                    v = float(f[self.si])
                except (ValueError, IndexError):
                    continue
                if key not in found or v > found[key]:
                    found[key] = v
            for q in queries:
                best = found.get((int(positions[q]), str(refs[q]).upper(), str(alts[q]).upper()))
                if best is not None:
                    out[q] = best
        return out

    def close(self) -> None:
        self._tf.close()


# --------------------------------------------------------------------------- gene priors
class GenePriorTable(_Source):
    """Gene -> value from a TSV with a header (``gene_column``, ``value_column``).

    ``transform`` says how the value enters the genotype model (:mod:`triage.genotype.likelihood`):
    ``lambda`` (the expected number of damaging alleles in a healthy exome, used as is),
    ``intolerance`` (0-1, e.g. pLI: the background rate is scaled by 1 - 0.8 x value) or
    ``tolerance_percentile`` (0-1, e.g. LoFtool: low = intolerant; scaled by 0.2 + 0.8 x value).
    """

    kind = "gene prior"

    def __init__(self, path: str | Path, gene_column: str | None = None,
                 value_column: str | None = None, transform: str = "intolerance",
                 name: str | None = None):
        super().__init__(path)
        if transform not in ("lambda", "intolerance", "tolerance_percentile"):
            raise DataError(f"gene prior {path}: transform must be lambda, intolerance or tolerance_percentile")
        self.transform = transform
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rt", encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").lstrip("#").split("\t")
            low = [h.lower() for h in header]
            gi = low.index(gene_column.lower()) if gene_column else next(
                (low.index(c) for c in ("gene", "symbol", "gene_symbol", "genename") if c in low), 0)
            if value_column:
                if value_column.lower() not in low:
                    raise DataError(f"gene prior {path}: no column {value_column!r} (columns: {', '.join(header)})")
                vi = low.index(value_column.lower())
            else:
                vi = 1 if gi == 0 else 0
            self.column = header[vi]
            values: dict[str, float] = {}
            for line in fh:
                f = line.rstrip("\n").split("\t")
                if len(f) <= max(gi, vi):
                    continue
                try:
                    values[f[gi]] = float(f[vi])
                except ValueError:
                    continue
        self.values = values
        self.name = name or f"gene_prior:{self.column}"
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        self.version = f"{self.path.name} (column={self.column}, sha256={digest})"

    def get(self, genes: Sequence[str]) -> np.ndarray:
        return np.array([self.values.get(g, np.nan) for g in genes], dtype=float)


# --------------------------------------------------------------------------- bundle
@dataclass
class ResourceSet:
    """The configured optional sources (any may be None)."""

    population: PopulationVcf | None = None
    clinvar: ClinVarVcf | None = None
    scores: dict[str, ScoreTable] = field(default_factory=dict)  # revel / alphamissense / cadd_phred / ...
    gene_prior: GenePriorTable | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def versions(self) -> dict[str, str]:
        v = {}
        if self.population:
            v["population_frequency"] = self.population.version
        if self.clinvar:
            v["clinvar"] = self.clinvar.version
        for k, s in self.scores.items():
            v[f"score:{k}"] = s.version
        if self.gene_prior:
            v["gene_prior"] = self.gene_prior.version
        return v

    def close(self) -> None:
        for s in (self.population, self.clinvar, *self.scores.values()):
            if s is not None and hasattr(s, "close"):
                s.close()


SCORE_NAMES = ("revel", "alphamissense", "cadd_phred")


def load_resources(cfg: dict | None, base: Path | None = None) -> ResourceSet:
    """Build a :class:`ResourceSet` from the ``resources:`` config block.

    ``{population: {path, af_field, popmax_field, nhomalt_field}, clinvar: {path},
    scores: {revel: {path, column}, alphamissense: {...}, cadd_phred: {...}},
    gene_prior: {path, gene_column, value_column, transform}}``; a string is taken as
    ``{path: ...}``. Empty/None entries are skipped; each missing one is logged once.
    """
    cfg = dict(cfg or {})
    rs = ResourceSet()

    def spec(v):
        if not v:
            return None
        d = {"path": v} if isinstance(v, str) else dict(v)
        if not d.get("path"):
            return None
        p = Path(d["path"])
        if base is not None and not p.is_absolute() and not p.exists():
            p = base / p
        d["path"] = str(p)
        return d

    pop = spec(cfg.get("population"))
    if pop:
        rs.population = PopulationVcf(pop.pop("path"), **pop)
    else:
        rs.notes.append("no population-frequency resource configured: variant scores use consequence "
                        "(and ClinVar/predictors when configured) only; INFO/AF of the input VCF is never "
                        "used as a population frequency")
    cv = spec(cfg.get("clinvar"))
    if cv:
        rs.clinvar = ClinVarVcf(cv["path"])
    else:
        rs.notes.append("no ClinVar resource configured")
    for name, v in (cfg.get("scores") or {}).items():
        s = spec(v)
        if s:
            path = s.pop("path")
            column = s.pop("column", None) or {"revel": "REVEL", "alphamissense": "am_pathogenicity",
                                                 "cadd_phred": "PHRED"}.get(name, name)
            rs.scores[name] = ScoreTable(path, column, name=name, **s)
    if not rs.scores:
        rs.notes.append("no per-variant score table (CADD/REVEL/AlphaMissense) configured")
    gp = spec(cfg.get("gene_prior"))
    if gp:
        rs.gene_prior = GenePriorTable(gp.pop("path"), **gp)
    if set(cfg) != {"gene_prior"}:  # a ranking-only load (gene prior alone) stays quiet
        for n in rs.notes:
            log.info("%s", n)
    return rs


# --------------------------------------------------------------------------- VEP / snpEff
_FORMAT_RE = re.compile(r"Format:\s*'?\s*([^'\"]+)", re.IGNORECASE)
_QUOTED_RE = re.compile(r"'([^']*\|[^']*)'")


def parse_csq_format(description: str) -> list[str]:
    """Sub-field names of a VEP CSQ (``... Format: A|B|C``) or snpEff ANN
    (``Functional annotations: 'Allele | Annotation | ...'``) header Description."""
    d = description or ""
    m = _FORMAT_RE.search(d) or _QUOTED_RE.search(d)
    if not m:
        return []
    return [f.strip() for f in m.group(1).strip().strip("'\"").split("|")]


def vep_allele(ref: str, alt: str) -> str:
    """VEP's Allele string for a biallelic row: the shared first base is dropped; '-' if empty."""
    if len(ref) != len(alt) and ref and alt and ref[0] == alt[0]:
        a = alt[1:]
        return a or "-"
    return alt


@dataclass(frozen=True)
class CsqEntry:
    gene: str
    consequences: tuple[str, ...]  # most severe first
    transcript: str | None
    hgvs_c: str | None
    hgvs_p: str | None
    extra: dict[str, str]


def _strip_prefix(h: str | None) -> str | None:
    if not h:
        return None
    h = h.replace("%3D", "=")
    return h.split(":", 1)[1] if ":" in h else h


def pick_entries(raw: str | None, fields: list[str], ref: str, alt: str, style: str = "vep",
                 alt_index: int | None = None) -> dict[str, CsqEntry]:
    """Per gene, the most severe CSQ/ANN entry for this ALT (empty dict when none match)."""
    from triage.variants.consequences import severity_rank

    if not raw or not fields:
        return {}
    if style == "vep":
        ia, ic, ig, it = (fields.index(k) if k in fields else -1 for k in ("Allele", "Consequence", "SYMBOL", "Feature"))
        ihc, ihp = (fields.index(k) if k in fields else -1 for k in ("HGVSc", "HGVSp"))
        inum = fields.index("ALLELE_NUM") if "ALLELE_NUM" in fields else -1
    else:
        ia, ic, ig, it = (fields.index(k) if k in fields else -1 for k in ("Allele", "Annotation", "Gene_Name", "Feature_ID"))
        ihc, ihp = (fields.index(k) if k in fields else -1 for k in ("HGVS.c", "HGVS.p"))
        inum = -1
    want = {alt.upper(), vep_allele(ref, alt).upper()}
    best: dict[str, tuple[int, CsqEntry]] = {}
    for entry in (raw if isinstance(raw, str) else ",".join(map(str, raw))).split(","):
        f = entry.split("|")
        if len(f) < len(fields):
            f = f + [""] * (len(fields) - len(f))
        if inum >= 0 and alt_index is not None and f[inum]:
            if f[inum] != str(alt_index):
                continue
        elif ia >= 0 and f[ia].upper() not in want:
            continue
        gene = f[ig] if ig >= 0 else ""
        if not gene:
            continue
        terms = tuple(sorted((t for t in f[ic].split("&") if t), key=severity_rank)) if ic >= 0 else ()
        if not terms:
            continue
        e = CsqEntry(gene, terms, f[it] or None if it >= 0 else None,
                     _strip_prefix(f[ihc]) if ihc >= 0 else None,
                     _strip_prefix(f[ihp]) if ihp >= 0 else None,
                     {k: v for k, v in zip(fields, f, strict=False) if v})
        r = severity_rank(terms[0])
        if gene not in best or r < best[gene][0]:
            best[gene] = (r, e)
    return {g: e for g, (_, e) in best.items()}
