# Cohorts: `triage cohort` ranks every proband of a joint-called cohort on Hail (Spark) and
# writes results/cohorts/NAME/<sample>/ (the single-sample files) + cohort_summary.tsv.
# Listed under `cohorts:` in the config (docs/cohort.md); thin: one rule, one command.


rule rank_cohort:
    input:
        unpack(cohort_inputs),
    output:
        summary="results/cohorts/{cohort}/cohort_summary.tsv",
    log:
        "logs/rank_cohort/{cohort}.log",
    benchmark:
        "benchmarks/rank_cohort/{cohort}.tsv"
    params:
        args=cohort_args,
        hpo_dir=hpo_dir_arg,
        config=CONFIG_FILE,
        outdir=subpath(output.summary, parent=True),
    threads: 2
    conda:
        "../workflow/envs/cohort.yaml"
    shell:
        "triage {params.hpo_dir} cohort --vcf {input.vcf} --samples {input.samples} {params.args}"
        " --config {params.config} --out {params.outdir} 2> {log}"
