"""Typed configuration of the VCF + phenotype pipeline, built once at the entry point.

:meth:`PipelineConfig.from_dict` reads the workflow config (``config/config.yaml``,
validated against ``workflow/schemas/config.schema.yaml`` first) or ``--config`` of the
CLI and the service; everything below it receives frozen dataclasses, one per step:
``annotate`` (:class:`~triage.variants.annotation.AnnotateConfig`, incl. ``quality``),
``score`` (:class:`~triage.variants.variant_scores.ScoreConfig`), ``genotype``
(:class:`~triage.genotype.likelihood.GenotypeConfig`), ``rank``, ``output``,
``resources``, the phenotype ``model`` and ``acmg``
(:class:`~triage.prioritize.acmg.AcmgConfig`). No module reads global configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from triage.errors import TriageError
from triage.genotype.likelihood import GenotypeConfig
from triage.phenotype.scoring.config import PhenotypeModel
from triage.prioritize.acmg import AcmgConfig
from triage.variants.annotation import AnnotateConfig
from triage.variants.variant_scores import ScoreConfig
from triage.variants.vcf_reader import QualityFilter

DEFAULT_FORMATS = ("json", "tsv", "vcf", "html", "phenopacket", "pheval")


@dataclass(frozen=True)
class RankConfig:
    scorer: str = "lr"
    top: int = 20
    drop_unknown: bool = False
    variants_per_gene: int = 10
    gene_less_lr: float = 1.0
    phenotype_weight: float = 1.0  # exponent on the phenotype LR (1 = as the scorer gives it)
    #: prior mass of "an unknown disease of gene g" hypotheses (VCF cases; 0 = off); see
    #: triage.prioritize.combination and docs/pipeline.md for the source of the default
    novel_prior: float = 0.03
    #: how that mass is spread over genes: "uniform" or "gene_prior" (the configured
    #: constraint table: more mass on genes intolerant of variation)
    novel_gene_weight: str = "uniform"
    #: phenotype likelihood of "an unknown disease of g": "background" (LR 1: the features
    #: are no likelier than in anyone) or "marginal" (the prior-weighted mean LR of the
    #: known diseases: an unknown disease is a draw from the same population of diseases)
    novel_phenotype: str = "background"

    def __post_init__(self) -> None:
        if not 0.0 <= self.novel_prior < 1.0:
            raise TriageError(f"ranking.novel_prior must be in [0, 1), got {self.novel_prior}")
        if self.novel_phenotype not in ("background", "marginal"):
            raise TriageError(f"ranking.novel_phenotype must be background or marginal, got {self.novel_phenotype!r}")
        if self.novel_gene_weight not in ("uniform", "gene_prior"):
            raise TriageError(f"ranking.novel_gene_weight must be uniform or gene_prior, "
                              f"got {self.novel_gene_weight!r}")


@dataclass(frozen=True)
class OutputConfig:
    formats: tuple[str, ...] = DEFAULT_FORMATS
    report_top: int = 10
    prefix: str = ""
    treatable_only: bool = False  # list only candidates with a therapy flag
    candidates_only: bool = False  # candidate VCF: only the ranked records (TRIAGE_RANK > 0)


@dataclass(frozen=True)
class PipelineConfig:
    annotate: AnnotateConfig = field(default_factory=AnnotateConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    genotype: GenotypeConfig = field(default_factory=GenotypeConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    resources: dict = field(default_factory=dict)
    base_dir: str | None = None  # relative resource paths resolve against this
    model: PhenotypeModel = field(default_factory=PhenotypeModel)  # phenotype.model
    acmg: AcmgConfig = field(default_factory=AcmgConfig)  # acmg (ACMG/AMP evidence)

    @classmethod
    def from_dict(cls, cfg: dict | None, genome: str | None = None, base_dir: str | None = None) -> PipelineConfig:
        """Build from the workflow config (``config/config.yaml``); unknown keys are ignored."""
        cfg = dict(cfg or {})
        ann = dict(cfg.get("annotation") or {})
        q = dict(cfg.get("quality") or {})
        q_kw: dict[str, Any] = {k: (tuple(v) if k == "het_alt_fraction" and v is not None else v)
                                for k, v in q.items()}
        quality = QualityFilter(**q_kw) if q else QualityFilter()
        known_ann = set(AnnotateConfig.__dataclass_fields__) - {"quality", "genome"}
        bad = set(ann) - known_ann
        if bad:
            raise TriageError(f"unknown annotation option(s): {', '.join(sorted(bad))}")
        if "population_af_info_fields" in ann:
            ann["population_af_info_fields"] = tuple(ann["population_af_info_fields"] or ())
        acfg = AnnotateConfig(genome=genome or ann.pop("genome", None) or "GRCh38", quality=quality, **ann)
        pheno = dict(cfg.get("phenotype") or {})
        model = PhenotypeModel.from_dict(pheno.get("model"))
        rk = dict(cfg.get("ranking") or {})
        rcfg = RankConfig(scorer=pheno.get("scorer", "lr"), top=int(pheno.get("top", 20)),
                          drop_unknown=bool(pheno.get("drop_unknown", False)), **rk)
        out = dict(cfg.get("outputs") or {})
        ocfg = OutputConfig(formats=tuple(out.get("formats", DEFAULT_FORMATS)),
                            report_top=int(out.get("report_top", 10)),
                            treatable_only=bool(out.get("treatable_only", False)),
                            candidates_only=bool(out.get("candidates_only", False)))
        return cls(annotate=acfg, score=ScoreConfig.from_dict(cfg.get("scoring")),
                   genotype=GenotypeConfig.from_dict(cfg.get("genotype")), rank=rcfg, output=ocfg,
                   resources=dict(cfg.get("resources") or {}), base_dir=base_dir, model=model,
                   acmg=AcmgConfig.from_dict(cfg.get("acmg"), base_dir))

    @classmethod
    def from_file(cls, path: str | Path | None, genome: str | None = None) -> PipelineConfig:
        """The pipeline config from a YAML file (None: all defaults), schema-checked; ``genome``
        overrides the file's build.
        """
        if path is None:
            return cls.from_dict({}, genome)
        import yaml

        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise TriageError(f"cannot read config {p}: {exc}") from None
        return cls.from_dict(data, genome, base_dir=str(p.resolve().parent.parent))

    def gene_prior(self):
        """The configured gene prior resource (the one resource ranking needs), or None."""
        if not self.resources.get("gene_prior"):
            return None
        from triage.variants.resources import load_resources

        base = Path(self.base_dir) if self.base_dir else None
        return load_resources({"gene_prior": self.resources["gene_prior"]}, base).gene_prior

    def with_genome(self, genome: str) -> PipelineConfig:
        return replace(self, annotate=replace(self.annotate, genome=genome))
