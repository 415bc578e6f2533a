# triage workflow: thin by design. Rules live in rules/*.smk and call the `triage` command.
from snakemake.utils import min_version, validate

min_version("8.0")


configfile: "config/config.yaml"


validate(config, schema="workflow/schemas/config.schema.yaml")


include: "rules/common.smk"
include: "rules/phenotype.smk"
include: "rules/annotate.smk"
include: "rules/prioritize.smk"
include: "rules/screen.smk"
include: "rules/cohort.smk"


rule all:
    input:
        all_outputs(),
        cohort_outputs(),
    default_target: True
