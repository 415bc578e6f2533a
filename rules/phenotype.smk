rule rank_phenotype:
    input:
        unpack(phenotype_inputs),
    output:
        json=report(
            "results/{sample}/{sample}.phenotype.json",
            caption="../workflow/report/phenotype.rst",
            category="Phenotype ranking",
        ),
        tsv="results/{sample}/{sample}.phenotype.tsv",
    log:
        "logs/rank_phenotype/{sample}.log",
    benchmark:
        "benchmarks/rank_phenotype/{sample}.tsv"
    params:
        args=phenotype_args,
        hpo_dir=hpo_dir_arg,
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage {params.hpo_dir} rank {params.args} --format json"
        " --out {output.json} --tsv-out {output.tsv} 2> {log}"
