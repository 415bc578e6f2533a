"""Storage and worker in isolation: claiming, orphan recovery, attempts, release, CLI."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time

import pytest
from helpers import make_vcf

from triage.api.auth import RateLimiter, TokenStore
from triage.api.cli import add_subcommands
from triage.api.storage import Storage, UploadTooLarge
from triage.api.worker import CaseInputs, CaseRanking, CaseWorker, _pid_dead, run_case, sniff_vcf


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture
def storage(tmp_path):
    s = Storage(tmp_path / "data")
    yield s
    s.close()


def _queue(storage: Storage, **inputs) -> str:
    sha, _ = storage.save_upload(io.BytesIO(make_vcf()), 1 << 20)
    inputs = {"observed": ["HP:0001156"], "excluded": [], "genome_build": "GRCh38", "top": 5} | inputs
    return storage.create_case("owner1", inputs, sha, None).id


def test_wal_mode(storage):
    assert storage.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_upload_content_addressed(storage):
    sha, size = storage.save_upload(io.BytesIO(b"abc"), 10)
    assert sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" and size == 3
    assert storage.upload_path(sha).read_bytes() == b"abc"
    with pytest.raises(UploadTooLarge):
        storage.save_upload(io.BytesIO(b"x" * 11), 10)
    assert not list((storage.data_dir / "tmp").iterdir()), "no temp file left behind"


def test_claim_is_exclusive(storage):
    cid = _queue(storage)
    a = storage.claim_next("w1")
    assert a.id == cid and a.status == "running" and a.attempts == 1
    assert storage.claim_next("w2") is None
    assert not storage.heartbeat(cid, "w2"), "only the claiming worker may touch it"
    assert not storage.finish_case(cid, "w2", "{}", [], [], {}, None)


def test_recover_dead_worker_requeues_then_fails(storage):
    cid = _queue(storage)
    host = "testhost"
    dead = f"{host}:{_dead_pid()}:abc"
    for attempt in (1, 2):
        case = storage.claim_next(dead)
        assert case.attempts == attempt
        changed = storage.recover_orphans(lambda w: _pid_dead(w, host, os.getpid()), 3600, 3)
        assert changed == [(cid, "queued")]
    storage.claim_next(dead)
    changed = storage.recover_orphans(lambda w: _pid_dead(w, host, os.getpid()), 3600, 3)
    assert changed == [(cid, "failed")]
    case = storage.get_case(cid)
    assert case.status == "failed" and "3 times" in case.reason and case.attempts == 3


def test_recover_respects_live_workers_and_lease(storage):
    cid = _queue(storage)
    live = f"testhost:{os.getpid() + 0}:x"
    storage.claim_next(live)
    is_dead = lambda w: _pid_dead(w, "testhost", -1)  # noqa: E731  (our own pid: alive)
    assert storage.recover_orphans(is_dead, 3600, 3) == []
    assert storage.recover_orphans(lambda w: False, 3600, 3) == []
    other_host = storage.get_case(cid)
    assert other_host.status == "running"
    # a stale heartbeat is enough (worker on another host)
    storage.conn().execute("UPDATE cases SET heartbeat_at = ? WHERE id = ?", (time.time() - 100, cid))
    assert storage.recover_orphans(lambda w: False, 30, 3) == [(cid, "queued")]


def test_pid_dead():
    assert _pid_dead(None, "h", 1)
    assert not _pid_dead("otherhost:1:x", "h", 1)
    assert not _pid_dead(f"h:{os.getpid()}:x", "h", 12345), "alive"
    assert _pid_dead(f"h:{_dead_pid()}:x", "h", 12345)
    assert not _pid_dead("h:notapid:x", "h", 1)


def test_worker_runs_and_release_on_stop(storage, engine, monkeypatch):
    cid = _queue(storage)
    w = CaseWorker(storage, CaseRanking(engine), lease_seconds=2, poll_seconds=0.05)
    w.start()
    deadline = time.monotonic() + 60  # a loaded CI machine
    while storage.get_case(cid).status != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert storage.get_case(cid).status == "done"
    # a slow case is given back to the queue (attempt not counted) on shutdown
    monkeypatch.setenv("TRIAGE_TEST_CASE_DELAY", "30")
    cid2 = _queue(storage, observed=["HP:0001363"])
    w.notify()
    while storage.get_case(cid2).status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop(timeout=5)
    case = storage.get_case(cid2)
    assert case.status == "queued" and case.attempts == 0
    assert not w.alive


def test_worker_abandons_deleted_case(storage, engine, monkeypatch):
    monkeypatch.setenv("TRIAGE_TEST_CASE_DELAY", "3")
    cid = _queue(storage)
    w = CaseWorker(storage, CaseRanking(engine), lease_seconds=2, poll_seconds=0.05)
    outcomes = []
    w.on_done = outcomes.append
    w.start()
    deadline = time.monotonic() + 10
    while storage.get_case(cid).status != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert storage.delete_case(cid, "owner1")
    while not outcomes and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop()
    assert outcomes == ["lost"]
    assert storage.get_case(cid) is None


def test_run_case_directly(engine, tmp_path):
    p = tmp_path / "x.vcf"
    p.write_bytes(make_vcf(n=7))
    run = run_case(CaseInputs(observed=["HP:0001156"], vcf_path=str(p), top=3), CaseRanking(engine))
    assert run.vcf.records == 7 and len(run.result.diseases) == 3
    assert sniff_vcf(p) is None


def test_rate_limiter_refills(monkeypatch):
    rl = RateLimiter(60)  # one per second
    now = [1000.0]
    monkeypatch.setattr("triage.api.auth.time.monotonic", lambda: now[0])
    assert all(rl.check("k") == 0 for _ in range(60))
    assert rl.check("k") > 0
    now[0] += 1.0
    assert rl.check("k") == 0
    assert RateLimiter(0).check("k") == 0, "0 disables"
    small = RateLimiter(1, max_keys=2)
    for k in "abc":
        small.check(k)
    assert len(small._buckets) == 2


def test_token_cli(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_subcommands(parser.add_subparsers(dest="cmd", required=True))
    d = str(tmp_path / "d")
    args = parser.parse_args(["token", "create", "dr who", "--data-dir", d])
    assert args.func(args) == 0
    token = capsys.readouterr().out.strip()
    tid = TokenStore.token_id(token)
    assert tid
    args = parser.parse_args(["token", "list", "--data-dir", d])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert tid in out and "dr who" in out and "active" in out and token not in out
    args = parser.parse_args(["token", "revoke", tid, "--data-dir", d])
    assert args.func(args) == 0
    assert args.func(args) == 1, "second revoke: nothing to revoke"
    args = parser.parse_args(["token", "list", "--data-dir", d])
    args.func(args)
    assert "revoked" in capsys.readouterr().out
    args = parser.parse_args(["serve", "--port", "9", "--data-dir", d])
    assert args.func.__name__ == "serve_main" and args.port == 9 and args.host == "127.0.0.1"


def test_annotation_key_follows_the_workflow_config(engine, tmp_path):
    """A changed quality/annotation config never reuses an annotation made under another."""
    from triage.prioritize.config import PipelineConfig

    ci = CaseInputs(observed=["HP:0001156"], vcf_path="x.vcf", vcf_sha256="ab" * 32,
                    annotation_dir=str(tmp_path), genome_build="GRCh38")
    default = CaseRanking(engine)
    strict = CaseRanking(engine, PipelineConfig.from_dict({"quality": {"min_gq": 50}}))
    loose = CaseRanking(engine, PipelineConfig.from_dict({"quality": {"min_gq": 5}}))
    paths = {ci.annotation_path(r.annotation_digest) for r in (default, strict, loose)}
    assert len(paths) == 3
    assert ci.annotation_path(default.annotation_digest) == ci.annotation_path()  # old keys still valid
    assert strict.ranker("GRCh38") is strict.ranker("GRCh38")  # built once per build
