"""The HPO ontology layer: parse once with pronto, then work from a compiled cache.

What it gives: term labels and synonyms, primary-id mapping for alternative and
obsolete ids (``alt_id`` / ``replaced_by``), ancestors (reflexive, is_a closure) as
integer arrays, depth, and a small label search for autocomplete. Information
content depends on annotations and lives in :mod:`triage.phenotype.hpo_annotations`.

Why compiled: pronto parses hp.obo in several seconds; the compiled arrays (a columnar
file, :mod:`triage.phenotype.knowledge`) load in well
under a second, and every command, the API and the benchmark share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from triage.errors import MalformedTermError, ObsoleteTermError, UnknownTermError

HPO_ID_RE = re.compile(r"^HP:\d{7}$")
ROOT = "HP:0000001"
PHENOTYPIC_ABNORMALITY = "HP:0000118"


@dataclass
class Ontology:
    """Compiled, immutable view of one HPO release."""

    version: str
    ids: list[str]
    labels: list[str]
    synonyms: list[list[str]]
    parents: list[np.ndarray]
    # reflexive ancestor closure in CSR form: ancestors of i = anc_idx[anc_ptr[i]:anc_ptr[i+1]]
    anc_ptr: np.ndarray
    anc_idx: np.ndarray
    depth: np.ndarray
    alt_map: dict[str, str]  # alt_id / obsolete id with replaced_by -> primary id
    obsolete: dict[str, list[str]]  # obsolete id without replacement -> consider ids
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {t: i for i, t in enumerate(self.ids)}

    # ------------------------------------------------------------------ lookup
    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, term_id: str) -> bool:
        return term_id in self.index or term_id in self.alt_map

    def resolve(self, term_id: str) -> str:
        """Return the primary id for ``term_id``; raise a specific error naming it otherwise."""
        tid = term_id.strip()
        if tid.startswith("HP_"):
            tid = "HP:" + tid[3:]
        if not HPO_ID_RE.match(tid):
            raise MalformedTermError(term_id, "expected the form HP:0000000")
        if tid in self.index:
            return tid
        if tid in self.alt_map:
            return self.alt_map[tid]
        if tid in self.obsolete:
            consider = ", ".join(self.obsolete[tid]) or "none listed"
            raise ObsoleteTermError(
                term_id, f"obsolete in HPO {self.version} with no replacement (consider: {consider})"
            )
        raise UnknownTermError(term_id, f"not in HPO release {self.version}")

    def idx(self, term_id: str) -> int:
        return self.index[self.resolve(term_id)]

    def label(self, term_id: str) -> str:
        return self.labels[self.idx(term_id)]

    def ancestors_idx(self, i: int) -> np.ndarray:
        """Reflexive ancestors of term index ``i`` (includes ``i``)."""
        return self.anc_idx[self.anc_ptr[i] : self.anc_ptr[i + 1]]

    def ancestors(self, term_id: str) -> set[str]:
        return {self.ids[j] for j in self.ancestors_idx(self.idx(term_id))}

    def is_ancestor(self, anc: int, desc: int) -> bool:
        """True if ``anc`` is ``desc`` or one of its ancestors."""
        a = self.ancestors_idx(desc)
        return bool(np.any(a == anc))

    def remove_redundant(self, idxs: list[int]) -> list[int]:
        """Drop terms that are ancestors of another term in the list (keep the most specific)."""
        uniq = list(dict.fromkeys(idxs))
        covered: set[int] = set()
        for i in uniq:
            for a in self.ancestors_idx(i):
                if a != i:
                    covered.add(int(a))
        return [i for i in uniq if i not in covered]

    # ------------------------------------------------------------------ search
    def search(self, query: str, limit: int = 20) -> list[tuple[str, str, str | None]]:
        """Label/synonym/id search for autocomplete.

        Returns (id, label, matched synonym or None), best first: exact id, exact
        label, label prefix, word prefix, substring; ties broken by shallower term.
        """
        q = query.strip().lower()
        if not q:
            return []
        if HPO_ID_RE.match(query.strip().upper()):
            try:
                tid = self.resolve(query.strip().upper())
                return [(tid, self.label(tid), None)]
            except UnknownTermError:
                return []
        hits: list[tuple[int, int, int, str | None]] = []
        for i, lab in enumerate(self.labels):
            best: tuple[int, str | None] | None = None
            for text, syn in [(lab, None)] + [(s, s) for s in self.synonyms[i]]:
                t = text.lower()
                if t == q:
                    s = 0
                elif t.startswith(q):
                    s = 1
                elif f" {q}" in f" {t}":
                    s = 2
                elif q in t:
                    s = 3
                else:
                    continue
                s = s * 2 + (1 if syn else 0)
                if best is None or s < best[0]:
                    best = (s, syn)
            if best is not None:
                hits.append((best[0], int(self.depth[i]), i, best[1]))
        hits.sort()
        return [(self.ids[i], self.labels[i], syn) for _, _, i, syn in hits[:limit]]


def compile_obo(path: str) -> Ontology:
    """Parse hp.obo (optionally gzipped) with pronto into a compiled :class:`Ontology`."""
    import gzip
    import io
    import warnings

    import pronto

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if str(path).endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                onto = pronto.Ontology(io.BytesIO(fh.read()))
        else:
            onto = pronto.Ontology(str(path))
    version = str(onto.metadata.data_version or "unknown")
    version = version.rsplit("/", 1)[-1]

    ids: list[str] = []
    labels: list[str] = []
    synonyms: list[list[str]] = []
    alt_map: dict[str, str] = {}
    obsolete: dict[str, list[str]] = {}
    live = []
    for term in onto.terms():
        if not term.id.startswith("HP:"):
            continue
        if term.obsolete:
            repl = [t.id for t in term.replaced_by]
            if repl:
                alt_map[term.id] = repl[0]
            else:
                obsolete[term.id] = sorted(t.id for t in term.consider)
            continue
        live.append(term)
    live.sort(key=lambda t: t.id)
    index = {t.id: i for i, t in enumerate(live)}
    parents: list[np.ndarray] = []
    for t in live:
        ids.append(t.id)
        labels.append(t.name or t.id)
        synonyms.append(sorted({s.description for s in t.synonyms}))
        for alt in t.alternate_ids:
            alt_map[str(alt)] = t.id
        parents.append(
            np.array(sorted(index[p.id] for p in t.superclasses(distance=1, with_self=False)
                            if p.id in index), dtype=np.int32)
        )
    # obsolete ids whose replacement is itself an alt id: follow the chain
    for k, v in list(alt_map.items()):
        seen = {k}
        while v not in index and v in alt_map and v not in seen:
            seen.add(v)
            v = alt_map[v]
        if v in index:
            alt_map[k] = v
        else:
            del alt_map[k]
            obsolete.setdefault(k, [])

    n = len(ids)
    anc_sets: list[np.ndarray | None] = [None] * n
    depth = np.zeros(n, dtype=np.int16)

    def closure(i: int) -> np.ndarray:
        stack = [i]
        order = []
        while stack:  # iterative DFS to avoid recursion limits
            j = stack[-1]
            if anc_sets[j] is not None:
                stack.pop()
                continue
            pending = [p for p in parents[j] if anc_sets[p] is None]
            if pending:
                stack.extend(int(p) for p in pending)
                continue
            stack.pop()
            acc = {j}
            d = 0
            for p in parents[j]:
                acc.update(anc_sets[p].tolist())
                d = max(d, int(depth[p]) + 1)
            anc_sets[j] = np.array(sorted(acc), dtype=np.int32)
            depth[j] = d
            order.append(j)
        done = anc_sets[i]
        assert done is not None  # the DFS only stops once i is filled
        return done

    for i in range(n):
        closure(i)
    anc_ptr = np.zeros(n + 1, dtype=np.int64)
    filled = cast("list[np.ndarray]", anc_sets)  # closure() filled every entry: no None left
    anc_ptr[1:] = np.cumsum([len(a) for a in filled])
    anc_idx = np.concatenate(filled).astype(np.int32)
    return Ontology(
        version=version, ids=ids, labels=labels, synonyms=synonyms, parents=parents,
        anc_ptr=anc_ptr, anc_idx=anc_idx, depth=depth, alt_map=alt_map, obsolete=obsolete,
        index=index,
    )
