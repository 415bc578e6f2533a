# Rank once: `triage prioritize` ranks the annotated case and writes every output that needs
# the ranked variants (result JSON, TSVs, candidate VCF, PhEval files). The report rule reads
# only the result JSON (`triage report`): it ranks nothing.


rule rank_candidates:
    input:
        unpack(phenotype_inputs),
        case=rules.annotate_variants.output.case,
        vcf=lambda wc: SAMPLES[wc.sample]["vcf"],  # its INFO fields go into the candidate VCF
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
        vcf="results/{sample}/{sample}.candidates.vcf.gz",
        tbi="results/{sample}/{sample}.candidates.vcf.gz.tbi",
        pheval_gene="results/{sample}/pheval/pheval_gene_results/{sample}-gene_result.parquet",
        pheval_variant="results/{sample}/pheval/pheval_variant_results/{sample}-variant_result.parquet",
        pheval_disease="results/{sample}/pheval/pheval_disease_results/{sample}-disease_result.parquet",
        versions="results/{sample}/pheval/{sample}-data_versions.json",
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
        " --vcf {input.vcf} --config {params.config} --out-dir {params.outdir} --formats json,tsv,vcf,pheval 2> {log}"


rule write_reports:
    input:
        result="results/{sample}/{sample}.result.json",
    output:
        html=report(
            "results/{sample}/{sample}.report.html",
            caption="../workflow/report/report.rst",
            category="VCF + phenotype ranking",
        ),
        phenopacket=report(
            "results/{sample}/{sample}.phenopacket.json",
            caption="../workflow/report/phenopacket.rst",
            category="VCF + phenotype ranking",
        ),
    log:
        "logs/write_reports/{sample}.log",
    benchmark:
        "benchmarks/write_reports/{sample}.tsv"
    params:
        top=config.get("outputs", {}).get("report_top", 10),
        outdir=subpath(output.html, parent=True),
    conda:
        "../workflow/envs/triage.yaml"
    shell:
        "triage report --result {input.result} --out-dir {params.outdir} --top {params.top}"
        " --formats html,phenopacket 2> {log}"
