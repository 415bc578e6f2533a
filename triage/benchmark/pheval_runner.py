"""PhEval runner plugin: PhEval (https://github.com/monarch-initiative/pheval) benchmarks
triage itself.

Registered in PhEval's ``pheval.plugins`` entry point group (``pyproject.toml``; PhEval
looks a runner up by its class name, lower case), so with ``pip install 'triage[pheval]'``::

    pheval run --runner triagephevalrunner --input-dir INPUT --testdata-dir CORPUS --output-dir OUT \\
        [--version 0.2.0]

* ``INPUT/config.yaml`` is PhEval's input-dir config: ``tool: triage``,
  ``tool_version``, ``variant_analysis`` / ``gene_analysis`` / ``disease_analysis``
  (booleans) and ``tool_specific_configuration_options`` with the optional keys
  ``config`` (a triage workflow config YAML, relative to INPUT: resources, model
  parameters), ``genome`` (GRCh37 / GRCh38; default: from each VCF header), ``scorer``
  (default ``lr``) and ``hpo_dir`` (another HPO release).
* ``CORPUS`` is a PhEval corpus: ``phenopackets/*.json`` and, for VCF cases, ``vcf/``
  holding the VCF each phenopacket names in ``files[]`` (``fileFormat: vcf``). A
  phenopacket without a VCF is ranked on its phenotype alone (gene and disease results).

``run`` ranks every case with the one ranking path of the project (the same code as
``triage rank``) and writes its result JSON and its PhEval files into
``OUT/raw_results/<phenopacket stem>/``; ``post_process`` reads those standardised
columns back and hands them to PhEval's own ``generate_{gene,variant,disease}_result``,
which ranks, classifies against the phenopacket and writes ``OUT/pheval_*_results/``.
Nothing is ranked twice and PhEval's post-processing, not ours, makes the final files.

This module imports ``pheval``; only PhEval (through the entry point) and the tests
(when pheval is installed) import it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pheval.runners.runner import PhEvalRunner

from triage import __version__

log = logging.getLogger("triage.pheval")


def case_vcf(doc: dict, vcf_dir: Path) -> tuple[Path | None, str | None]:
    """The VCF a phenopacket names (``files[]`` with ``fileFormat: vcf``), looked up in
    ``vcf_dir`` by file name as PhEval does, and its genome assembly; (None, None) when
    the phenopacket names none."""
    files = doc.get("files") or doc.get("htsFiles") or []
    for f in files:
        attrs = f.get("fileAttributes") or {}
        uri = f.get("uri") or ""
        if attrs.get("fileFormat", "").lower() == "vcf" or uri.endswith((".vcf", ".vcf.gz", ".bcf")):
            name = Path(uri.removeprefix("file://")).name
            asm = attrs.get("genomeAssembly")
            build = {"hg19": "GRCh37", "hg38": "GRCh38"}.get(str(asm).lower(), asm) if asm else None
            return vcf_dir / name, build
    return None, None


@dataclass
class TriagePhEvalRunner(PhEvalRunner):
    """PhEval runner for triage (see the module docstring)."""

    input_dir: Path
    testdata_dir: Path
    tmp_dir: Path
    output_dir: Path
    config_file: Path
    version: str

    # ------------------------------------------------------------------ helpers
    def _options(self) -> dict:
        return dict(self.input_dir_config.tool_specific_configuration_options or {})

    @property
    def phenopacket_dir(self) -> Path:
        return Path(self.testdata_dir) / "phenopackets"

    @property
    def vcf_dir(self) -> Path:
        return Path(self.testdata_dir) / "vcf"

    def _phenopackets(self) -> list[Path]:
        return sorted(p for p in self.phenopacket_dir.iterdir() if p.suffix == ".json")

    # ------------------------------------------------------------------ PhEval phases
    def prepare(self) -> None:
        """Check the corpus and the options before anything runs (a clear error, early)."""
        from triage.errors import TriageError

        if not self.phenopacket_dir.is_dir():
            raise TriageError(f"PhEval corpus {self.testdata_dir} has no phenopackets/ directory")
        opts = self._options()
        unknown = set(opts) - {"config", "genome", "scorer", "hpo_dir"}
        if unknown:
            raise TriageError(f"unknown tool_specific_configuration_options for triage: {', '.join(sorted(unknown))}")
        if opts.get("config") and not (Path(self.input_dir) / opts["config"]).is_file():
            raise TriageError(f"tool_specific_configuration_options.config: {opts['config']} not found in {self.input_dir}")

    def run(self) -> None:
        """Rank every case; its result JSON and standardised PhEval files go to raw_results/."""
        from dataclasses import replace

        from triage.outputs import write_outputs
        from triage.phenotype.engine import PhenotypeEngine
        from triage.phenotype.phenopacket import read_phenopacket
        from triage.prioritize import PipelineConfig, run_patient
        from triage.prioritize.run import rank_phenotype

        opts = self._options()
        cfg_path = Path(self.input_dir) / opts["config"] if opts.get("config") else None
        cfg = PipelineConfig.from_file(cfg_path)
        cfg = replace(cfg, rank=replace(cfg.rank, scorer=opts.get("scorer") or cfg.rank.scorer, top=100))
        engine = PhenotypeEngine.load(opts.get("hpo_dir"), cfg.model)
        for pp in self._phenopackets():
            stem = pp.stem
            out = self.raw_results_dir / stem
            doc = json.loads(pp.read_text())
            case = read_phenopacket(pp)
            vcf, build = case_vcf(doc, self.vcf_dir)
            want_vcf = self._get_variant_analysis() or self._get_gene_analysis()
            if vcf is not None and want_vcf:
                if not vcf.exists():
                    raise FileNotFoundError(f"{pp.name} names VCF {vcf.name}, not found in {self.vcf_dir}")
                genome = opts.get("genome") or build
                run_patient(vcf, case.observed, case.excluded, genome=genome, sex=case.sex, cfg=cfg, engine=engine,
                            out_dir=out, formats=("json", "pheval"), phenopacket_id=doc.get("id"),
                            onset=case.onset)
                # the patient's files are named by sample; PhEval names by phenopacket stem
                self._rename_to_stem(out, stem)
            else:
                result = rank_phenotype(engine, case.observed, case.excluded, scorer=cfg.rank.scorer, top=100,
                                        drop_unknown=True, onset=case.onset)
                write_outputs(result, out, ("json",))
                self._phenotype_rows(result, out, stem)
            log.info("ranked %s", stem)

    @staticmethod
    def _rename_to_stem(out: Path, stem: str) -> None:
        for p in (out / "pheval").rglob("*_result.parquet"):
            kind = p.name.rsplit("-", 1)[1]
            p.rename(p.with_name(f"{stem}-{kind}"))

    @staticmethod
    def _phenotype_rows(result, out: Path, stem: str) -> None:
        """PhEval files of a phenotype-only result (its listed genes and diseases)."""
        from triage.outputs import pheval

        genes = [(g.rank, g.posterior if g.posterior is not None else g.score, g.symbol,
                  g.ncbi_gene_id or f"hgnc.symbol:{g.symbol}") for g in result.genes]
        diseases = [(d.rank, d.posterior if d.posterior is not None else d.score, d.label, d.id)
                    for d in result.diseases]
        pheval.write_patient(out / "pheval", stem, genes, diseases, [])

    def post_process(self) -> None:
        """PhEval's own post-processing of the standardised columns of each case."""
        import polars as pl
        from pheval.post_processing.post_processing import (
            SortOrder,
            generate_disease_result,
            generate_gene_result,
            generate_variant_result,
        )

        from triage.outputs import pheval

        out_dir = Path(self.output_dir)
        for pp in self._phenopackets():
            stem = pp.stem
            paths = pheval.result_paths(self.raw_results_dir / stem / "pheval", stem)
            name = Path(f"{stem}.json")  # PhEval names its files by this stem
            if self._get_gene_analysis() and paths["gene"].exists():
                df = pl.read_parquet(paths["gene"]).select(["gene_symbol", "gene_identifier", "score"])
                generate_gene_result(df, SortOrder.DESCENDING, out_dir, name, self.phenopacket_dir)
            if self._get_variant_analysis() and paths["variant"].exists():
                df = pl.read_parquet(paths["variant"]).select(["chrom", "start", "end", "ref", "alt", "score"])
                generate_variant_result(df, SortOrder.DESCENDING, out_dir, name, self.phenopacket_dir)
            if self._get_disease_analysis() and paths["disease"].exists():
                df = pl.read_parquet(paths["disease"]).select(["disease_identifier", "score"])
                generate_disease_result(df, SortOrder.DESCENDING, out_dir, name, self.phenopacket_dir)

    def construct_meta_data(self):
        meta = self.meta_data
        meta.tool_version = self.version or __version__
        return meta
