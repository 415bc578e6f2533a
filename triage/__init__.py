"""triage: rank diseases, genes and variants for a rare-disease patient.

Layout (where to look first):
- ``triage.ontology``     HPO loading, id mapping, ancestors, information content
- ``triage.annotations``  disease/gene phenotype annotations as sparse matrices
- ``triage.scoring``      pluggable phenotype scorers (likelihood ratio, Resnik)
- ``triage.ranking``      scores -> ranked result model with explanations
- ``triage.models``       the one pydantic data model written by CLI/pipeline, returned by the API
- ``triage.benchmark``    phenopacket benchmark harness
- ``triage.cli``          the ``triage`` console command
"""

__version__ = "0.2.0"
SCHEMA_VERSION = "1.0"
