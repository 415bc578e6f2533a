"""One disease entity across sources: ORPHA entries grouped with their OMIM equivalent.

The HPO release annotates many diseases twice, once under an OMIM id and once under
an ORPHA id (often with different, partly overlapping term lists). Ranked separately,
the two entries split the probability of one disease and the copy pushes the other
down. :class:`DiseaseGroups` maps every disease of the release to an entity (a group
of equivalent ids; most groups have one member) so that a scorer's per-disease
scores can be collapsed (:meth:`DiseaseGroups.collapse_scores`) and the entity
ranked once, listing all its ids.

How equivalents are found (:func:`derive_equivalents`; no PyPI package ships an
ORPHA<->OMIM table usable offline, so it is derived from the release itself). An
ORPHA entry joins one OMIM entry, never more, and two OMIM entries are never joined
(OMIM's own subtypes stay distinct diseases):

1. ``unique_gene_set``: the ORPHA entry and the OMIM entry have the same (non-empty)
   gene set and are the only entry of their source with that gene set;
2. ``gene_and_label``: they share a gene, their normalised labels (lower case, Roman
   numerals as digits, generic words such as "syndrome"/"type" dropped) have a token
   Jaccard similarity >= :data:`LABEL_MIN`, and that OMIM entry is the ORPHA entry's
   best match by (label similarity, phenotype-term overlap).

The equivalents of the vendored release are data (``data/disease_equivalents.tsv``,
written by ``scripts/build_disease_groups.py``); another release derives them at load.
The group's representative (its first id) is the OMIM id.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import numpy as np

LABEL_MIN = 0.5
EQUIVALENTS_FILE = "disease_equivalents.tsv"
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10"}
_GENERIC = {"type", "syndrome", "disease", "disorder", "the", "of", "and", "with", "due", "to",
            "form", "autosomal", "familial", "congenital", "s"}


def label_tokens(label: str) -> frozenset[str]:
    """Normalised word set of a disease label (for the label rule)."""
    s = re.sub(r"[^a-z0-9]+", " ", label.lower())
    out = set()
    for t in s.split():
        m = re.fullmatch(r"(i{1,3}|iv|vi{0,3}|ix|x)([a-z]?)", t)
        if m:
            t = _ROMAN[m.group(1)] + m.group(2)
        if t not in _GENERIC:
            out.add(t)
    return frozenset(out)


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if (a or b) else 0.0


def derive_equivalents(annotations, term_sets: list[set[int]] | None = None
                       ) -> list[tuple[str, str, str, float]]:
    """(ORPHA id, OMIM id, rule, label similarity) for every equivalent pair of the release.

    ``term_sets`` (direct annotation terms per disease) break ties between OMIM
    candidates of equal label similarity; without them the lower OMIM id wins.
    """
    ids, labels = annotations.disease_ids, annotations.disease_labels
    genes = [frozenset(int(g) for g in annotations.genes_of(d)) for d in range(len(ids))]
    source = [i.split(":", 1)[0] for i in ids]
    toks = [label_tokens(x) for x in labels]
    by_set: dict[tuple[str, frozenset], list[int]] = defaultdict(list)
    omim_of_gene: dict[int, list[int]] = defaultdict(list)
    for d, g in enumerate(genes):
        if g:
            by_set[(source[d], g)].append(d)
        if source[d] == "OMIM":
            for x in g:
                omim_of_gene[x].append(d)
    out = []
    for d, g in enumerate(genes):
        if source[d] != "ORPHA" or not g:
            continue
        same = by_set.get(("OMIM", g), [])
        if len(same) == 1 and len(by_set[("ORPHA", g)]) == 1:
            o = same[0]
            out.append((ids[d], ids[o], "unique_gene_set", round(_jaccard(toks[d], toks[o]), 3)))
            continue
        best = None
        for o in sorted({o for x in g for o in omim_of_gene[x]}):
            lab = _jaccard(toks[d], toks[o])
            ph = 0.0
            if term_sets is not None and term_sets[d] and term_sets[o]:
                ph = len(term_sets[d] & term_sets[o]) / min(len(term_sets[d]), len(term_sets[o]))
            key = (lab, ph)
            if best is None or key > best[0]:
                best = (key, o)
        if best is not None and best[0][0] >= LABEL_MIN:
            out.append((ids[d], ids[best[1]], "gene_and_label", round(best[0][0], 3)))
    return out


@dataclass(frozen=True)
class DiseaseGroups:
    """Disease -> entity map of one release (indices into ``annotations.disease_ids``)."""

    group_of: np.ndarray  # (D,) int64: entity of each disease
    members: list[list[int]]  # entity -> its diseases, representative (OMIM) first
    source: str  # where the equivalents came from

    @property
    def n_groups(self) -> int:
        return len(self.members)

    def ids(self, annotations, g: int) -> list[str]:
        """All ids of entity ``g``, representative first (what a result lists)."""
        return [annotations.disease_ids[d] for d in self.members[g]]

    def collapse_scores(self, scores: np.ndarray) -> np.ndarray:
        """Entity score = best member score (log scale); one value per entity."""
        out = np.full(self.n_groups, -np.inf)
        np.maximum.at(out, self.group_of, scores)
        return out

    def collapse_posterior(self, posterior: np.ndarray) -> np.ndarray:
        """Entity posterior = sum of its members' posteriors (one disease, several entries)."""
        return np.bincount(self.group_of, weights=posterior, minlength=self.n_groups)

    def best_member(self, scores: np.ndarray) -> np.ndarray:
        """Per entity, the member with the highest score (for explanations)."""
        best = np.full(self.n_groups, -1, dtype=np.int64)
        s = np.where(np.isnan(scores), -np.inf, scores)
        order = np.lexsort((np.arange(len(s)), -s, self.group_of))  # per group: best, then lowest index
        g = self.group_of[order]
        first = np.r_[True, g[1:] != g[:-1]]
        best[g[first]] = order[first]
        return best


def groups_from_pairs(annotations, pairs: list[tuple[str, str]], source: str) -> DiseaseGroups:
    """Union-find over (ORPHA, OMIM) equivalence pairs: one entity per connected group of
    the release's disease ids; pairs naming ids absent from the release are ignored.
    """
    index = {d: i for i, d in enumerate(annotations.disease_ids)}
    D = len(annotations.disease_ids)
    parent = np.arange(D)
    for orpha, omim in pairs:
        if orpha in index and omim in index:
            parent[index[orpha]] = index[omim]  # ORPHA -> its one OMIM entry (depth 1)
    reps = sorted(set(parent.tolist()))
    gid = {r: k for k, r in enumerate(reps)}
    group_of = np.array([gid[int(p)] for p in parent], dtype=np.int64)
    members: list[list[int]] = [[r] for r in reps]
    for d in range(D):
        if parent[d] != d:
            members[gid[int(parent[d])]].append(d)
    return DiseaseGroups(group_of=group_of, members=members, source=source)


def read_equivalents(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(release version, pairs) from the shipped TSV (``#release: V`` header line)."""
    version, pairs = "", []
    lines = text.splitlines()
    for line in lines:
        if line.startswith("#release:"):
            version = line.split(":", 1)[1].strip()
    rows = csv.DictReader((x for x in lines if not x.startswith("#")), delimiter="\t")
    for r in rows:
        pairs.append((r["orpha_id"], r["omim_id"]))
    return version, pairs


def write_equivalents(path, version: str, rows: list[tuple[str, str, str, float]]) -> None:
    with open(path, "w") as fh:
        fh.write(f"#release: {version}\n#derived by triage.phenotype.entities.derive_equivalents "
                 f"(scripts/build_disease_groups.py); rules in its docstring\n")
        fh.write("orpha_id\tomim_id\trule\tlabel_similarity\n")
        for r in rows:
            fh.write("\t".join(str(x) for x in r) + "\n")


def disease_groups(kb, term_sets: list[set[int]] | None = None) -> DiseaseGroups:
    """The entities of ``kb``'s release: the shipped table when it is for this release,
    else derived (same rules)."""
    ann = kb.annotations
    try:
        text = (resources.files("triage.phenotype") / "data" / EQUIVALENTS_FILE).read_text()
        version, pairs = read_equivalents(text)
    except (OSError, FileNotFoundError):
        version, pairs = "", []
    if version and version == ann.version:
        return groups_from_pairs(ann, pairs, f"{EQUIVALENTS_FILE} ({version})")
    if term_sets is None:
        term_sets = direct_term_sets(ann)
    rows = derive_equivalents(ann, term_sets)
    return groups_from_pairs(ann, [(a, b) for a, b, _r, _s in rows], f"derived from release {ann.version}")


def direct_term_sets(annotations) -> list[set[int]]:
    sets: list[set[int]] = [set() for _ in range(annotations.n_diseases)]
    keep = ~annotations.ann_not
    for d, t in zip(annotations.ann_disease[keep].tolist(), annotations.ann_term[keep].tolist()):
        sets[d].add(t)
    return sets


__all__ = ["DiseaseGroups", "derive_equivalents", "disease_groups", "label_tokens"]


def merge_entity_annotations(annotations, groups: DiseaseGroups):
    """A copy of ``annotations`` in which every member of an entity carries the union of
    the entity's annotation rows (so OMIM and ORPHA descriptions of one disease pool
    their features: n/m counts add up, other frequencies take the max, as for several
    publications of one disease) and of its PMIDs. Gene links are unchanged.

    Members then score identically and :meth:`DiseaseGroups.collapse_scores` ranks the
    entity once. The version gets a ``+entities`` suffix (caches key on it).
    """
    from dataclasses import replace

    D = annotations.n_diseases
    multi = [m for m in annotations_groups(groups) if len(m) > 1]
    if not multi:
        return annotations
    rows_of: list[list[int]] = [[] for _ in range(D)]
    for r, d in enumerate(annotations.ann_disease.tolist()):
        rows_of[d].append(r)
    extra_rows, extra_d = [], []
    for members in multi:
        for d in members:
            for o in members:
                if o != d:
                    extra_rows.extend(rows_of[o])
                    extra_d.extend([d] * len(rows_of[o]))
    sel = np.asarray(extra_rows, dtype=np.int64)
    cat = np.concatenate

    pm = annotations.disease_n_pmids.astype(np.int64).copy()
    for members in multi:
        # the union of PMIDs is not stored per disease; the sum bounds it from above and the
        # max from below: use the max (a shared citation is usually the same paper)
        v = max(int(pm[d]) for d in members)
        for d in members:
            pm[d] = v
    return replace(
        annotations, version=f"{annotations.version}+entities",
        ann_disease=cat([annotations.ann_disease, np.asarray(extra_d, dtype=annotations.ann_disease.dtype)]),
        ann_term=cat([annotations.ann_term, annotations.ann_term[sel]]),
        ann_kind=cat([annotations.ann_kind, annotations.ann_kind[sel]]),
        ann_n=cat([annotations.ann_n, annotations.ann_n[sel]]),
        ann_m=cat([annotations.ann_m, annotations.ann_m[sel]]),
        ann_not=cat([annotations.ann_not, annotations.ann_not[sel]]),
        disease_n_pmids=pm.astype(annotations.disease_n_pmids.dtype),
    )


def annotations_groups(groups: DiseaseGroups) -> list[list[int]]:
    return groups.members
