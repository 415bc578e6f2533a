# Small input functions and sample-sheet handling. No logic beyond choosing files and arguments:
# everything else lives in the `triage` package.
import csv

from snakemake.utils import validate


def read_samples(path):
    with open(path, newline="") as fh:
        rows = [
            {k: (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(fh, delimiter="\t")
        ]
    for row in rows:
        validate(row, schema="../workflow/schemas/samples.schema.yaml")
        if row.get("ped") and not row.get("vcf"):
            raise ValueError(f"{path}: sample {row['sample']} has a ped but no vcf")
    ids = [r["sample"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate sample ids")
    return {r["sample"]: r for r in rows}


SAMPLES = read_samples(config["samples"])
VCF_SAMPLES = sorted(s for s, r in SAMPLES.items() if r.get("vcf"))
PHENO_SAMPLES = sorted(s for s, r in SAMPLES.items() if not r.get("vcf"))
# the config file the `triage` commands read (annotation, quality, resources, scoring)
CONFIG_FILE = workflow.configfiles[-1] if workflow.configfiles else "config/config.yaml"

wildcard_constraints:
    sample="[A-Za-z0-9._-]+",


def phenotype_inputs(wildcards):
    row = SAMPLES[wildcards.sample]
    return {"phenopacket": row["phenopacket"]} if row.get("phenopacket") else {}


def phenotype_args(wildcards, input):
    row = SAMPLES[wildcards.sample]
    pheno = config["phenotype"]
    args = [f"--scorer {pheno['scorer']}", f"--top {pheno['top']}"]
    if row.get("hpo"):
        args.append(f"--hpo {row['hpo']}")
    if input.get("phenopacket"):
        args.append(f"--phenopacket {input.phenopacket}")
    if pheno.get("drop_unknown"):
        args.append("--drop-unknown")
    return " ".join(args)


def terms_args(wildcards, input):
    """HPO terms of a VCF sample, for `triage prioritize`."""
    row = SAMPLES[wildcards.sample]
    args = []
    if row.get("hpo"):
        args.append(f"--hpo {row['hpo']}")
    if input.get("phenopacket"):
        args.append(f"--phenopacket {input.phenopacket}")
    if config["phenotype"].get("drop_unknown"):
        args.append("--drop-unknown")
    return " ".join(args)


def vcf_inputs(wildcards):
    row = SAMPLES[wildcards.sample]
    out = {"vcf": row["vcf"]}
    if row.get("ped"):
        out["ped"] = row["ped"]
    return out


def annotate_args(wildcards, input):
    row = SAMPLES[wildcards.sample]
    args = [f"--sample {wildcards.sample}", f"--genome {row['genome_build']}"]
    if input.get("ped"):
        args.append(f"--ped {input.ped}")
    return " ".join(args)


def screen_args(wildcards, input):
    row = SAMPLES[wildcards.sample]
    args = [f"--sample {wildcards.sample}", f"--genome {row['genome_build']}"]
    if input.get("ped"):
        args.append(f"--ped {input.ped}")
    return " ".join(args)


def screen_enabled():
    return bool((config.get("screen") or {}).get("enabled"))


def hpo_dir_arg(wildcards):
    return f"--hpo-dir {config['hpo_dir']}" if config.get("hpo_dir") else ""


def pheval_outputs(sample):
    return [
        f"results/{sample}/pheval/pheval_{kind}_results/{sample}-{kind}_result.parquet"
        for kind in ("gene", "variant", "disease")
    ]


def all_outputs():
    out = expand("results/{sample}/{sample}.phenotype.json", sample=PHENO_SAMPLES)
    for s in VCF_SAMPLES:
        out += [
            f"results/{s}/{s}.result.json",
            f"results/{s}/{s}.genes.tsv",
            f"results/{s}/{s}.variants.tsv",
            f"results/{s}/{s}.candidates.vcf.gz",
            f"results/{s}/{s}.report.html",
            f"results/{s}/{s}.phenopacket.json",
        ]
        out += pheval_outputs(s)
        if screen_enabled():
            out += [f"results/{s}/{s}.screen.json", f"results/{s}/{s}.screen.tsv"]
    return out


# --------------------------------------------------------------------------- cohorts (rules/cohort.smk)
def cohort_outputs():
    return [f"results/cohorts/{c['name']}/cohort_summary.tsv" for c in config.get("cohorts") or []]


def _cohort(wildcards):
    for c in config.get("cohorts") or []:
        if c["name"] == wildcards.cohort:
            return c
    raise ValueError(f"cohort {wildcards.cohort!r} is not listed under cohorts: in the config")


def cohort_inputs(wildcards):
    c = _cohort(wildcards)
    out = {"vcf": c["vcf"], "samples": c["samples"]}
    if c.get("ped"):
        out["ped"] = c["ped"]
    return out


def cohort_args(wildcards):
    c = _cohort(wildcards)
    import shlex

    args = [f"--genome {c['genome']}", f"--spark-master {shlex.quote(c.get('spark_master') or 'local[2]')}"]
    if c.get("ped"):
        args.append(f"--ped {c['ped']}")
    if c.get("tmp_dir"):
        args.append(f"--tmp-dir {c['tmp_dir']}")
    if c.get("driver_memory"):
        args.append(f"--driver-memory {c['driver_memory']}")
    if c.get("use_cohort_frequency") is False:
        args.append("--no-cohort-frequency")
    return " ".join(args)
