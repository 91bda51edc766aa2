"""HTTP side of bench/hot_paths.py: one keep-alive client (probe, single-client medians, series creation) and
wrk for the concurrent runs, checked for errors, statuses and body sizes."""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta

from _harness import pct

WARMUP = 20  # requests before any timed sample


def fetch(conn, ep, inm=None, body=None):
    headers = {"Accept": "application/json"}
    if ep["token"]:
        headers["Authorization"] = f"Bearer {ep['token']}"
    if inm:
        headers["If-None-Match"] = inm
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request("POST" if body is not None else "GET", ep["path"], body=body and json.dumps(body), headers=headers)
    response = conn.getresponse()
    return response.status, response.getheader("ETag"), response.read()


def probe(port, ep, *, inm=None, expect=200) -> dict:
    status, etag, data = fetch(http.client.HTTPConnection("127.0.0.1", port, timeout=60), ep, inm=inm)
    if status != expect:
        raise SystemExit(f"{ep['path']} answered {status} (expected {expect}): {data[:300]!r}")
    items = len(json.loads(data)) if data[:1] == b"[" else None
    return {"status": status, "bytes": len(data), "etag": etag, "items": items, "size": f"{items} / {len(data)}"}


def single_client(port, ep, n, *, inm=None, expect=200) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    for i in range(WARMUP + n):
        t0 = time.perf_counter()
        status, _, data = fetch(conn, ep, inm=inm)
        if status != expect:
            raise SystemExit(f"{ep['path']} answered {status} (expected {expect}): {data[:300]!r}")
        if i >= WARMUP:
            samples.append((time.perf_counter() - t0) * 1000)
    return {"n": n, "median_ms": round(statistics.median(samples), 2), "p95_ms": round(pct(samples, 0.95), 2)}


UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "us": 0.001, "ms": 1, "s": 1000}


def wrk(port, ep, seconds, *, inm=None, body_bytes=0) -> dict:
    """wrk -t2 -c16; fails on socket errors, non-2xx/3xx answers, or bytes per answer that do not fit the body
    (a 304 run that got 200s reads whole bodies)."""
    headers = {"Authorization": f"Bearer {ep['token']}"} if ep["token"] else {}
    if inm:
        headers["If-None-Match"] = inm
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{ep['path']}"], capture_output=True, text=True, check=True)
    text = out.stdout
    done = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(\w+) read", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not (done and rps):
        raise SystemExit(f"unreadable wrk output for {ep['path']}:\n{text}{out.stderr}")
    requests, read = int(done[1]), float(done[2]) * UNITS[done[3]]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    per = read / max(requests, 1)
    fits = per < 1024 + body_bytes / 2 if inm else per >= body_bytes
    if bad or sock or not requests or not fits:
        raise SystemExit(f"wrk {ep['path']} (If-None-Match: {inm}): errors or wrong answers, {per:.0f} B each:\n{text}")
    latency = {q: float(v) * UNITS[u] for q, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", text, re.M)}
    return {"rps": float(rps[1]), "requests": requests, "bytes_per_response": round(per),
            "p50_ms": latency.get("50"), "p99_ms": latency.get("99")}  # fmt: skip


def series_body(i: int, student_ids: list[str]) -> dict:
    start = datetime(2040, 1, 2, 6, 0, tzinfo=UTC) + timedelta(hours=i % 12, days=7 * (i // 12))
    return {
        "startAt": start.isoformat().replace("+00:00", "Z"),
        "durationMinutes": 60,
        "priceRub": 1200,
        "studentIds": [student_ids[(i + k) % len(student_ids)] for k in range(3)],
        "recurrence": {"frequency": "weekly", "count": 52},
    }


def create_series(port, ep, student_ids, n) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples = []
    for i in [10_000, *range(n)]:  # the first one warms up
        t0 = time.perf_counter()
        status, _, data = fetch(conn, ep, body=series_body(i, student_ids))
        if status != 201:
            raise SystemExit(f"series creation answered {status}: {data[:300]!r}")
        if i != 10_000:
            samples.append((time.perf_counter() - t0) * 1000)
    return {"n": n, "median_ms": round(statistics.median(samples), 2), "p95_ms": round(pct(samples, 0.95), 2)}


def measure_http(args, eps, student_ids) -> dict:
    port = args.port
    probes = {name: probe(port, ep) for name, ep in eps.items() if name != "series"}
    etag = probes["month_a"]["etag"]
    if etag:
        probes["month_a_304"] = probe(port, eps["month_a"], inm=etag, expect=304)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for name in probes:  # every worker has served every read before the clock starts
        for _ in range(2 * args.workers):
            fetch(conn, eps[name.removesuffix("_304")], inm=etag if name.endswith("_304") else None)
    out = {"etag": etag, "probe": probes, "wrk": {}, "single": {}}
    for name in ("month_a", "student_month", "students_a", "health", "live"):
        out["wrk"][name] = wrk(port, eps[name], args.seconds, body_bytes=probes[name]["bytes"])
    if etag:
        out["wrk"]["month_a_304"] = wrk(
            port, eps["month_a"], args.seconds, inm=etag, body_bytes=probes["month_a"]["bytes"]
        )
    for name in ("month_a", "month_b", "students_b", "students_a"):
        out["single"][name] = single_client(port, eps[name], args.requests)
    if etag:
        out["single"]["month_a_304"] = single_client(port, eps["month_a"], args.requests, inm=etag, expect=304)
    out["series"] = create_series(port, eps["series"], student_ids, args.series)
    return out
