# Genotype-first screen of every sample with a VCF for the treatable conditions of the
# therapy table (no phenotype needed); on when `screen: {enabled: true}` in the config.


rule screen_treatable:
    input:
        unpack(vcf_inputs),
    output:
        json="results/{sample}/{sample}.screen.json",
        tsv="results/{sample}/{sample}.screen.tsv",
    log:
        "logs/screen_treatable/{sample}.log",
    benchmark:
        "benchmarks/screen_treatable/{sample}.tsv"
    params:
        args=screen_args,
        config=CONFIG_FILE,
        outdir=subpath(output.json, parent=True),
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage screen --vcf {input.vcf} {params.args} --config {params.config}"
        " --out {params.outdir} --format json > /dev/null 2> {log}"
