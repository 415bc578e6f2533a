"""Helpers shared by the API tests."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

from fastapi.testclient import TestClient

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


def wait_case(client: TestClient, headers: dict, cid: str, timeout: float = 20.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = client.get(f"/v1/cases/{cid}", headers=headers).json()
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.05)
    raise AssertionError(f"case {cid} not finished after {timeout} s: {s}")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


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
