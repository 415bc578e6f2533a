"""Minimal Prometheus metrics (text exposition format 0.0.4), no client library.

Kept per app instance (``app.state.metrics``), so per process: with several uvicorn
worker processes each scrape sees one process's request counters (label
``pid``); case counts come from the shared database and are global.

Labels never carry patient data: ``route`` is the route *template*
(``/v1/cases/{case_id}``), never the raw path or query string.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import defaultdict

# seconds; suits a synchronous ranking API (ms) and uploads (s)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**kw: str) -> str:
    return "{" + ",".join(f'{k}="{_esc(str(v))}"' for k, v in kw.items()) + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.hist_counts: dict[tuple[str, str], list[int]] = {}
        self.hist_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.cases_processed: dict[str, int] = defaultdict(int)
        self.pid = str(os.getpid())

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            counts = self.hist_counts.get(key)
            if counts is None:
                counts = self.hist_counts[key] = [0] * (len(BUCKETS) + 1)
            counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self.hist_sum[key] += seconds

    def case_processed(self, outcome: str) -> None:
        with self._lock:
            self.cases_processed[outcome] += 1

    def render(self, cases_by_status: dict[str, int] | None, engine_loaded: bool,
               info: dict[str, str]) -> str:
        out: list[str] = []
        out.append("# HELP triage_info Service and data versions.")
        out.append("# TYPE triage_info gauge")
        out.append(f"triage_info{_labels(**info)} 1")
        out.append("# HELP triage_engine_loaded 1 when the phenotype engine is loaded.")
        out.append("# TYPE triage_engine_loaded gauge")
        out.append(f"triage_engine_loaded {1 if engine_loaded else 0}")
        with self._lock:
            reqs = sorted(self.requests.items())
            hists = sorted((k, list(v), self.hist_sum[k]) for k, v in self.hist_counts.items())
            processed = sorted(self.cases_processed.items())
        out.append("# HELP triage_http_requests_total HTTP requests by method, route template and status.")
        out.append("# TYPE triage_http_requests_total counter")
        for (method, route, status), n in reqs:
            out.append(f"triage_http_requests_total{_labels(method=method, route=route, status=status, pid=self.pid)} {n}")
        out.append("# HELP triage_http_request_duration_seconds Request latency by method and route template.")
        out.append("# TYPE triage_http_request_duration_seconds histogram")
        for (method, route), counts, total in hists:
            acc = 0
            for b, c in zip(BUCKETS, counts, strict=False):
                acc += c
                out.append("triage_http_request_duration_seconds_bucket"
                           f"{_labels(method=method, route=route, pid=self.pid, le=repr(b))} {acc}")
            acc += counts[-1]
            out.append("triage_http_request_duration_seconds_bucket"
                       f"{_labels(method=method, route=route, pid=self.pid, le='+Inf')} {acc}")
            out.append(f"triage_http_request_duration_seconds_sum{_labels(method=method, route=route, pid=self.pid)} {total:.6f}")
            out.append(f"triage_http_request_duration_seconds_count{_labels(method=method, route=route, pid=self.pid)} {acc}")
        out.append("# HELP triage_cases_processed_total Cases finished by this process's worker, by outcome.")
        out.append("# TYPE triage_cases_processed_total counter")
        for outcome, n in processed:
            out.append(f"triage_cases_processed_total{_labels(outcome=outcome, pid=self.pid)} {n}")
        if cases_by_status is not None:
            out.append("# HELP triage_cases Cases in the database by status.")
            out.append("# TYPE triage_cases gauge")
            for status, n in sorted(cases_by_status.items()):
                out.append(f"triage_cases{_labels(status=status)} {n}")
        return "\n".join(out) + "\n"
