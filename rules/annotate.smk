rule annotate_variants:
    input:
        unpack(vcf_inputs),
    output:
        case="results/{sample}/{sample}.annotated.npz",
        tsv="results/{sample}/{sample}.annotation.tsv",
    log:
        "logs/annotate_variants/{sample}.log",
    benchmark:
        "benchmarks/annotate_variants/{sample}.tsv"
    params:
        args=annotate_args,
        config=CONFIG_FILE,
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage annotate --vcf {input.vcf} {params.args} --config {params.config}"
        " --out {output.case} --tsv {output.tsv} 2> {log}"
