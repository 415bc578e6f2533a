"""triage: rank diseases, genes and variants for a rare-disease patient.

The package is laid out by stage, in the order data flows through it:

- ``triage.phenotype``   HPO ontology and annotations, phenopackets, the phenotype engine, scorers
- ``triage.variants``    VCF reading, gene model, consequences, resources, variant scores, annotation
- ``triage.genotype``    pedigree, inheritance modes, genotype likelihood ratio
- ``triage.prioritize``  phenotype x genotype combination, ranking, result assembly
- ``triage.outputs``     one writer per output format
- ``triage.benchmark``   phenopacket benchmarks (phenotype only, spike-in)
- ``triage.cli``, ``triage.api``  the command line and the service
- kernel: ``triage.models`` (the one data model), ``triage.errors`` (domain errors)
"""

__version__ = "0.2.0"
SCHEMA_VERSION = "1.0"
