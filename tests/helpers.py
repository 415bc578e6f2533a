"""The one module of test helpers (fixtures live in conftest.py): phenopacket and VCF
writers, the demo case's paths, a synthetic FASTA for HGVS tests, and the API tests'
token/upload/polling helpers and server process. Kept out of conftest so tests import
what they use by name."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: the Hail test environment has no FastAPI
    from fastapi.testclient import TestClient

# ----------------------------------------------------------------------
# phenopackets (tests of the phenotype engine and the benchmark)
# (was tests_helpers.py) Helpers shared by tests (kept out of conftest so they can be imported).

def make_phenopacket(path: Path, pid: str, terms: list[str], disease: str, gene: str,
                     excluded: list[str] = (), vcf: dict | None = None) -> Path:
    feats = [{"type": {"id": t, "label": t}} for t in terms]
    feats += [{"type": {"id": t, "label": t}, "excluded": True} for t in excluded]
    vd = {"id": "v1", "geneContext": {"valueId": "HGNC:1", "symbol": gene},
          "allelicState": {"id": "GENO:0000135", "label": "heterozygous"}}
    if vcf:
        vd["vcfRecord"] = {"genomeAssembly": "hg38", **vcf}
    doc = {
        "id": pid, "subject": {"id": pid, "sex": "MALE"}, "phenotypicFeatures": feats,
        "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
            "disease": {"id": disease, "label": disease},
            "genomicInterpretations": [{"subjectOrBiosampleId": pid, "interpretationStatus": "CAUSATIVE",
                                        "variantInterpretation": {"variationDescriptor": vd}}]}}],
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }
    path.write_text(json.dumps(doc))
    return path


# ----------------------------------------------------------------------
# tiny VCFs and phenopackets for the pipeline tests (no ../shared needed)
# (was pipeline/pipeline_testlib.py) Helpers for the pipeline tests: tiny VCF/phenopacket writers (no ../shared needed).

REPO = Path(__file__).resolve().parents[1]
DEMO_VCF = REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz"
DEMO_PP = REPO / "config" / "demo" / "DEMO1.phenopacket.json"

B38_CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chr10": 133797422, "chr15": 101991189,
               "chr22": 50818468, "chrX": 156040895}


def vcf_header(samples: list[str], contigs: dict[str, int] | None = None, info: list[str] = ()) -> str:
    contigs = contigs if contigs is not None else B38_CONTIGS
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">',
             '##FILTER=<ID=LowQual,Description="Low quality">',
             '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##INFO=<ID=QD,Number=1,Type=Float,Description="QD">',
             '##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP membership">',
             *info,
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
             '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">']
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    return "\n".join(lines) + "\n"


def write_vcf(path: Path, samples: list[str], records: list[str], contigs=None, info=(), bgzip: bool = True) -> Path:
    import pysam

    text = vcf_header(samples, contigs, list(info)) + "".join(r.rstrip("\n") + "\n" for r in records)
    plain = path.with_suffix("") if path.suffix == ".gz" else path
    plain.write_text(text)
    if bgzip and path.suffix == ".gz":
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
        pysam.tabix_index(str(path), preset="vcf", force=True)
        return path
    return plain


def phenopacket(path: Path, pid: str, terms: list[str], variants: list[dict], sex: str = "MALE",
                disease: str = "OMIM:000000", gene: str = "GENE") -> Path:
    gis = []
    for v in variants:
        vd = {"id": f"v{len(gis)}", "geneContext": {"valueId": "HGNC:1", "symbol": v.get("gene", gene)},
              "allelicState": {"id": "GENO:0000135", "label": v.get("state", "heterozygous")}}
        if "pos" in v:
            vd["vcfRecord"] = {"genomeAssembly": v.get("assembly", "hg38"), "chrom": v["chrom"], "pos": str(v["pos"]),
                               "ref": v["ref"], "alt": v["alt"]}
        gis.append({"subjectOrBiosampleId": pid, "interpretationStatus": "CAUSATIVE",
                    "variantInterpretation": {"variationDescriptor": vd}})
    doc = {"id": pid, "subject": {"id": pid, "sex": sex},
           "phenotypicFeatures": [{"type": {"id": t, "label": t}} for t in terms],
           "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
               "disease": {"id": disease, "label": disease}, "genomicInterpretations": gis}}],
           "metaData": {"phenopacketSchemaVersion": "2.0"}}
    path.write_text(json.dumps(doc))
    return path


# ----------------------------------------------------------------------
# a synthetic FASTA for the HGVS tests
# (was hgvs_testlib.py) A synthetic GRCh37 chr22 FASTA around the demo's SMARCB1 variant (tests only).

#: GRCh37 chr22 length (the demo VCF has records up to its end)
CHR22_LENGTH = 51_304_566
#: c.1084..c.1095 of NM_003073.5 (GRCh37 22:24175856-24175867, + strand)
REPEAT_CONTEXT = "GAGAAGAAGACT"
REPEAT_C_START = 1084


def smarcb1_fasta(path: Path, model, length: int | None = None) -> Path:
    """Write the synthetic FASTA (contig ``22``) and its .fai; returns ``path``.

    A synthetic GRCh37 chr22 FASTA around the demo's SMARCB1 variant (tests only).

    No reference FASTA exists on this machine, so the tests build one: every base is ``N``
    except the CDS of NM_003073.5 (SMARCB1), which reads ATG, then GCT (Ala) codons, then
    TAA, with the one stretch the public record proves written in: GRCh37 22:24175856-24175867
    = c.1084-c.1095 = ``G AGA AGA AGA CT``. (The demo record 22:24175856 GAGA>G, published as
    NM_003073.5:c.1091_1093del p.(Lys364del), can slide from c.1085_1087 to c.1091_1093:
    that proves the AGA repeat; the base after it is not A, here C.) The protein is
    therefore M A...A E K K T A...A *: a test of naming, not of biology.
    """
    import pysam

    from triage.variants.consequences import _genomic_of_mrna

    tx = next(t for t in model.transcripts("SMARCB1") if t.id == "NM_003073.5")
    assert tx.strand == "+"
    n = length or tx.tx_end + 1000
    seq = bytearray(b"N" * n)
    ca, cb = tx.cds_bounds
    n_codons = (cb - ca) // 3
    for c in range(cb - ca):
        k = c // 3
        codon = "ATG" if k == 0 else "TAA" if k == n_codons - 1 else "GCT"
        seq[_genomic_of_mrna(tx, ca + c)] = ord(codon[c % 3])
    for i, b in enumerate(REPEAT_CONTEXT):
        seq[_genomic_of_mrna(tx, ca + REPEAT_C_START - 1 + i)] = ord(b)
    with open(path, "wb") as fh:
        fh.write(b">22\n")
        for i in range(0, n, 1000):
            fh.write(seq[i:i + 1000])
            fh.write(b"\n")
    pysam.faidx(str(path))
    return path


def check_hgvs_syntax(names: list[str]) -> None:
    """Every name parses with the biocommons hgvs grammar (an independent implementation);
    skips the test when the package (dev extra) is absent."""
    import pytest

    hgvs_parser = pytest.importorskip("hgvs.parser", reason="biocommons hgvs not installed (dev extra)")
    parser = hgvs_parser.Parser()
    bad = []
    for n in names:
        try:
            parser.parse_hgvs_variant(n)
        except Exception as exc:  # the parser raises its own HGVSParseError
            bad.append(f"{n}: {exc}")
    assert not bad, bad


# ----------------------------------------------------------------------
# the API tests: tokens, uploads, polling, a server process
# (was api/api_helpers.py) Helpers shared by the API tests.

GRCH38_CHR1 = 248956422
GRCH37_CHR1 = 249250621


def auth(client: TestClient, name: str = "tester") -> dict[str, str]:
    token = client.app.state.tokens.create_token(name)
    return {"Authorization": f"Bearer {token}"}


def make_vcf(samples: tuple[str, ...] = ("PROBAND",), chr1_length: int = GRCH38_CHR1, n: int = 3,
             gz: bool = False) -> bytes:
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chr1,length={chr1_length}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]),
    ]
    for i in range(n):
        lines.append("\t".join(["chr1", str(1000 + i * 10), ".", "A", "G", "50", "PASS", ".", "GT",
                                *(["0/1"] * len(samples))]))
    data = ("\n".join(lines) + "\n").encode()
    return gzip.compress(data) if gz else data


def submit(client: TestClient, headers: dict, vcf: bytes | None = None, **data) -> dict:
    files = {"vcf": ("patient.vcf", vcf if vcf is not None else make_vcf(), "application/octet-stream")}
    if "phenopacket" in data:
        files["phenopacket"] = ("pp.json", data.pop("phenopacket"), "application/json")
    if "phenopacket" not in files:
        data.setdefault("hpo", "HP:0001156,HP:0001363")
    r = client.post("/v1/cases", headers=headers, files=files, data=data)
    assert r.status_code == 202, r.text
    return r.json()


def wait_case(client: TestClient, headers: dict, cid: str, timeout: float = 90.0) -> dict:
    """Poll a case until it is done or failed; the timeout only bounds a failing test (a
    loaded 2-core CI machine can take tens of seconds per case)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = client.get(f"/v1/cases/{cid}", headers=headers).json()
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.05)
    raise AssertionError(f"case {cid} not finished after {timeout} s: {s}")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


class ServerProcess:
    """``python -m triage.api serve`` in a subprocess on a free loopback port."""

    def __init__(self, data_dir: Path, log_path: Path, env: dict[str, str] | None = None, workers: int = 1):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self.log_path = Path(log_path)
        self.extra_env = env or {}
        self.proc = None
        self.port = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ServerProcess:
        import os
        import socket
        import subprocess
        import sys

        import httpx

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
        env.update({"TRIAGE_RATE_LIMIT_PER_MINUTE": "0", "PYTHONUNBUFFERED": "1"})
        if os.environ.get("TRIAGE_CACHE_DIR"):
            env["TRIAGE_CACHE_DIR"] = os.environ["TRIAGE_CACHE_DIR"]
        env.update(self.extra_env)
        log = open(self.log_path, "ab")  # noqa: SIM115 (held by the running server)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "triage.api", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--workers", str(self.workers)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(repo_root()))
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log()}")

    def kill9(self) -> None:
        import os
        import signal

        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except Exception:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""
