#!/usr/bin/env python
"""Load benchmark of POST /v1/diagnoses (not a test).

Starts ``python -m triage.api serve`` on a free loopback port (or uses ``--url``),
then runs N concurrent closed-loop clients for a fixed time against POST /v1/diagnoses
with realistic, varied queries: each query is 3-15 terms drawn from one disease's HPO
annotations, some replaced by an ancestor (imprecise clinicians) and some by an
unrelated term (noise), some with excluded terms. Prints one JSON object: latency
percentiles (ms), throughput, errors, CPU used by the server and by the clients.

    .venv/bin/python scripts/bench_api.py --seconds 60 --clients 32 --workers 2

Clients: ``wrk`` (Debian package, installed by scripts/install_system_deps.sh; one
thread, one keep-alive connection per client, a Lua script picks a random query per
request) when it is on PATH, else an httpx.AsyncClient event loop (``--client
python``). The clients share this machine's CPUs with the server: the Python client
needs about a core by itself at these rates (h11 parses each ~95 KB answer in pure
Python), which inflates every latency it measures; wrk needs a few percent.

Loopback only; bounded by --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_queries(n: int, seed: int, hpo_dir: str | None) -> list[dict]:
    from triage.phenotype.knowledge import load_knowledge

    kb = load_knowledge(hpo_dir)
    onto, ann = kb.ontology, kb.annotations
    rng = random.Random(seed)
    by_disease: dict[int, list[int]] = {}
    pos = ~ann.ann_not
    for d, t in zip(ann.ann_disease[pos].tolist(), ann.ann_term[pos].tolist(), strict=True):
        by_disease.setdefault(d, []).append(t)
    diseases = [d for d, ts in by_disease.items() if len(set(ts)) >= 3]
    n_terms = len(onto.ids)
    queries = []
    for _ in range(n):
        d = rng.choice(diseases)
        terms = sorted(set(by_disease[d]))
        k = rng.randint(3, min(15, len(terms)))
        picked = rng.sample(terms, k)
        out = []
        for t in picked:
            r = rng.random()
            if r < 0.2 and len(onto.parents[t]):  # imprecise: a parent term
                t = int(rng.choice(list(onto.parents[t])))
            elif r < 0.3:  # noise: an unrelated term
                t = rng.randrange(n_terms)
            out.append(onto.ids[t])
        q: dict = {"hpo": out}
        if rng.random() < 0.3:
            q["excluded"] = [onto.ids[rng.randrange(n_terms)] for _ in range(rng.randint(1, 3))]
        queries.append(q)
    return queries


def tree_cpu_seconds(pid: int | None) -> float | None:
    """User+system CPU of a process and its children (psutil, optional)."""
    if pid is None:
        return None
    try:
        import psutil
    except ImportError:
        return None
    try:
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            t = p.cpu_times()
            total += t.user + t.system
        return total
    except psutil.Error:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int, log_path: Path, hpo_dir: str | None) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    env = dict(os.environ, TRIAGE_RATE_LIMIT_PER_MINUTE="0", TRIAGE_WORKER_ENABLED="0", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "triage.api", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--data-dir", str(data_dir), "--workers", str(workers), "--log-level", "warning"]
    if hpo_dir:
        cmd += ["--hpo-dir", hpo_dir]
    log = open(log_path, "wb")  # noqa: SIM115 (the server outlives this function)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO))
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}); see {log_path}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                # with several worker processes, wait until each answered once
                return proc, url, data_dir
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.terminate()
    raise SystemExit(f"server not ready; see {log_path}")


def cpu_snapshot(pid: int | None) -> dict:
    """CPU seconds so far of the server tree, this process and its finished children (wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"server": tree_cpu_seconds(pid), "self": me.ru_utime + me.ru_stime,
            "children": kids.ru_utime + kids.ru_stime}


async def run_load(url: str, queries: list[dict], clients: int, seconds: float, warmup: float,
                   top: int, seed: int, explain: bool = True, probe=lambda: None) -> dict:
    lat: list[float] = []
    status: dict[str, int] = {}
    errors = 0
    t_start = time.perf_counter()
    t_measure = t_start + warmup
    t_end = t_measure + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    snaps = []
    loop = asyncio.get_running_loop()
    loop.call_later(warmup, lambda: snaps.append(probe()))
    loop.call_later(warmup + seconds, lambda: snaps.append(probe()))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def worker(i: int) -> None:
            nonlocal errors
            rng = random.Random(seed * 1000 + i)
            while True:
                now = time.perf_counter()
                if now >= t_end:
                    return
                body = dict(rng.choice(queries), top=top)
                if not explain:
                    body["explain"] = False
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/diagnoses", json=body)
                    code = str(r.status_code)
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    code, ok = type(exc).__name__, False
                t1 = time.perf_counter()
                if t0 >= t_measure:
                    lat.append(t1 - t0)
                    status[code] = status.get(code, 0) + 1
                    if not ok:
                        errors += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    ms = np.array(lat) * 1000
    return {
        "cpu": (snaps + [None, None])[:2],
        "requests": len(lat),
        "throughput_rps": round(len(lat) / seconds, 1),
        "errors": errors,
        "status_counts": status,
        "latency_ms": {
            "p50": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
            "p95": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
            "p99": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
            "mean": round(float(ms.mean()), 1) if len(ms) else None,
            "max": round(float(ms.max()), 1) if len(ms) else None,
        },
    }


WRK_SCRIPT = r"""
local bodies = {}
for line in io.lines(os.getenv("TRIAGE_BENCH_BODIES")) do bodies[#bodies + 1] = line end
math.randomseed(tonumber(os.getenv("TRIAGE_BENCH_SEED")))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, "/v1/diagnoses", nil, bodies[math.random(#bodies)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f, "mean": %.3f, "max": %.3f, ' ..
    '"non_2xx": %d, "socket_errors": %d, "duration_s": %.3f}\n',
    summary.requests, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, summary.duration / 1e6))
end
"""


def run_wrk(url: str, queries: list[dict], clients: int, seconds: float, warmup: float, top: int,
            seed: int, explain: bool = True, probe=lambda: None) -> dict:
    """Closed-loop load with wrk (C, epoll): one thread, ``clients`` keep-alive connections."""
    tmp = Path(tempfile.mkdtemp(prefix="triage-wrk-"))
    bodies = tmp / "bodies.jsonl"
    with bodies.open("w") as fh:
        for q in queries:
            body = dict(q, top=top)
            if not explain:
                body["explain"] = False
            fh.write(json.dumps(body) + "\n")
    script = tmp / "post.lua"
    script.write_text(WRK_SCRIPT)
    env = dict(os.environ, TRIAGE_BENCH_BODIES=str(bodies), TRIAGE_BENCH_SEED=str(seed))

    def wrk(duration: float) -> dict:
        cmd = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
               "-s", str(script), url]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if out.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
        return json.loads(line[len("RESULT "):])

    if warmup > 0:
        wrk(warmup)
    before = probe()
    r = wrk(seconds)
    after = probe()
    shutil.rmtree(tmp, ignore_errors=True)
    errors = r["non_2xx"] + r["socket_errors"]
    return {
        "cpu": [before, after],
        "requests": r["requests"],
        "throughput_rps": round(r["requests"] / r["duration_s"], 1),
        "errors": errors,
        "status_counts": {"2xx": r["requests"] - r["non_2xx"], "non_2xx": r["non_2xx"],
                          "socket_errors": r["socket_errors"]},
        "latency_ms": {k: round(r[k], 1) for k in ("p50", "p95", "p99", "mean", "max")},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="measured duration (default 60)")
    ap.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first (default 3)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent closed-loop clients (default 32)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    ap.add_argument("--pool", type=int, default=5000, help="distinct queries (default 5000)")
    ap.add_argument("--top", type=int, default=20, help="top of each request (default 20, the API default)")
    ap.add_argument("--no-explain", dest="explain", action="store_false",
                    help='send "explain": false (no term-by-term explanations)')
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                    help="load generator: wrk (default when on PATH) or the httpx event loop")
    ap.add_argument("--hpo-dir", default=None)
    ap.add_argument("--url", default=None, help="benchmark a running server instead (must be loopback)")
    ap.add_argument("--server-log", type=Path, default=Path(tempfile.gettempdir()) / "triage-bench-server.log")
    args = ap.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        ap.error("--url must be a loopback address")

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        ap.error("wrk is not on PATH (scripts/install_system_deps.sh installs it)")
    queries = make_queries(args.pool, args.seed, args.hpo_dir)
    proc = data_dir = None
    url = args.url
    if url is None:
        proc, url, data_dir = start_server(args.workers, args.server_log, args.hpo_dir)
    pid = proc.pid if proc else None
    try:
        if client == "wrk":
            res = run_wrk(url, queries, args.clients, args.seconds, args.warmup, args.top, args.seed,
                          args.explain, probe=lambda: cpu_snapshot(pid))
        else:
            res = asyncio.run(run_load(url, queries, args.clients, args.seconds, args.warmup, args.top,
                                       args.seed, args.explain, probe=lambda: cpu_snapshot(pid)))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    c0, c1 = res.pop("cpu")
    srv = None
    if c0 and c1 and c0["server"] is not None and c1["server"] is not None:
        srv = c1["server"] - c0["server"]
    client_cpu = (c1["children"] - c0["children"]) if client == "wrk" else (c1["self"] - c0["self"])
    n_terms = [len(q["hpo"]) for q in queries]
    out = {
        "endpoint": "POST /v1/diagnoses",
        "seconds": args.seconds, "clients": args.clients,
        "server_workers": args.workers if args.url is None else None,
        "top": args.top, "explain": args.explain, "query_pool": len(queries),
        "terms_per_query": {"min": min(n_terms), "mean": round(statistics.mean(n_terms), 1), "max": max(n_terms)},
        **res,
        "client": client,
        "client_cpu_seconds": round(client_cpu, 1),
        "server_cpu_seconds": round(srv, 1) if srv is not None else None,
        "server_cpu_ms_per_request": round(srv * 1000 / max(1, res["requests"]), 2) if srv is not None else None,
        "cpus": os.cpu_count(),
        "target": {"p95_ms": 100, "errors": 0},
    }
    out["target_met"] = bool(res["latency_ms"]["p95"] is not None and res["latency_ms"]["p95"] <= 100
                             and res["errors"] == 0)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
