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
    ids = [r["sample"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate sample ids")
    return {r["sample"]: r for r in rows}


SAMPLES = read_samples(config["samples"])


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


def hpo_dir_arg(wildcards):
    return f"--hpo-dir {config['hpo_dir']}" if config.get("hpo_dir") else ""


def all_outputs():
    return expand("results/{sample}/{sample}.phenotype.json", sample=sorted(SAMPLES))
