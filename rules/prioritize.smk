rule rank_candidates:
    input:
        unpack(phenotype_inputs),
        case="results/{sample}/{sample}.annotated.pkl",
    output:
        json="results/{sample}/{sample}.result.json",
        genes=report(
            "results/{sample}/{sample}.genes.tsv",
            caption="../workflow/report/genes.rst",
            category="VCF + phenotype ranking",
        ),
        variants=report(
            "results/{sample}/{sample}.variants.tsv",
            caption="../workflow/report/variants.rst",
            category="VCF + phenotype ranking",
        ),
    log:
        "logs/rank_candidates/{sample}.log",
    benchmark:
        "benchmarks/rank_candidates/{sample}.tsv"
    params:
        terms=terms_args,
        hpo_dir=hpo_dir_arg,
        config=CONFIG_FILE,
        outdir=subpath(output.json, parent=True),
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage {params.hpo_dir} prioritize --annotated {input.case} {params.terms}"
        " --config {params.config} --out-dir {params.outdir} --formats json,tsv 2> {log}"


rule write_reports:
    input:
        unpack(phenotype_inputs),
        case="results/{sample}/{sample}.annotated.pkl",
        result="results/{sample}/{sample}.result.json",
    output:
        html=report(
            "results/{sample}/{sample}.report.html",
            caption="../workflow/report/report.rst",
            category="VCF + phenotype ranking",
        ),
        vcf="results/{sample}/{sample}.candidates.vcf.gz",
        tbi="results/{sample}/{sample}.candidates.vcf.gz.tbi",
        phenopacket=report(
            "results/{sample}/{sample}.phenopacket.json",
            caption="../workflow/report/phenopacket.rst",
            category="VCF + phenotype ranking",
        ),
        pheval_gene="results/{sample}/pheval/{sample}-pheval_gene_result.tsv",
        pheval_variant="results/{sample}/pheval/{sample}-pheval_variant_result.tsv",
        pheval_disease="results/{sample}/pheval/{sample}-pheval_disease_result.tsv",
        versions="results/{sample}/pheval/{sample}-data_versions.json",
    log:
        "logs/write_reports/{sample}.log",
    benchmark:
        "benchmarks/write_reports/{sample}.tsv"
    params:
        terms=terms_args,
        hpo_dir=hpo_dir_arg,
        config=CONFIG_FILE,
        outdir=subpath(output.html, parent=True),
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage {params.hpo_dir} prioritize --annotated {input.case} {params.terms}"
        " --config {params.config} --out-dir {params.outdir}"
        " --formats vcf,html,phenopacket,pheval 2> {log}"
