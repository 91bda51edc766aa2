"""Cost of the request log on the calendar month view (issue 14: ≤ 5 % throughput).

    .venv/bin/python bench/request_log_bench.py

Seeds the lessons benchmark's data set (bench/lessons_bench.py: 1 tutor, 30 students, 2,080 lessons) into its
own database, then measures GET /api/teachers/me/lessons for 30 days (~170 lessons) with REQUEST_LOG_ENABLED
off and on:
1. throughput: gunicorn (DEBUG off), BENCH_CONCURRENCY clients for BENCH_SECONDS, alternating off/on rounds
   (BENCH_ROUNDS each) so drift on a shared box hits both sides;
2. paired: both servers at once, every client alternating between them (load drift hits both equally);
3. CPU per request in-process (time.process_time, flusher thread included), median of BENCH_CPU_N requests;
4. that the rows really arrive (count after the run) and how long a 500-row flush takes.

Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tutorcal_bench_reqlog), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/8), BENCH_PORT (8791), BENCH_WORKERS (4), BENCH_SECONDS (8),
BENCH_CONCURRENCY (8), BENCH_ROUNDS (3), BENCH_CPU_N (300).
"""

from __future__ import annotations

import http.client
import os
import statistics
import sys
import threading
import time

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorcal_bench_reqlog")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
os.environ.setdefault("BENCH_PORT", "8791")

import lessons_bench as lb  # noqa: E402  (sets up the environment for Django)
from _harness import ensure_database, start_gunicorn  # noqa: E402

WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CPU_N = int(os.environ.get("BENCH_CPU_N", "300"))


def throughput(port: int, path: str, token: str) -> float:
    stop = time.perf_counter() + SECONDS
    counts = [0] * CONCURRENCY

    def client(k):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            status, _ = lb.request(c, "GET", path, token)
            assert status == 200
            counts[k] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def serve_and_measure(enabled: bool, path: str, token: str) -> float:
    env = {**os.environ, **lb.SERVER_ENV, "REQUEST_LOG_ENABLED": "true" if enabled else "false"}
    server = start_gunicorn(port=lb.PORT, workers=WORKERS, env=env)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", lb.PORT, timeout=30)
        for _ in range(30):  # warm-up every worker
            lb.request(conn, "GET", path, token)
        return throughput(lb.PORT, path, token)
    finally:
        server.terminate()
        server.wait(timeout=30)


def paired(path: str, token: str, order=(False, True)) -> tuple[float, float]:
    """Both servers at once (logging off on one port, on on the next), every client alternating between them, so
    the box's load drift hits both equally: mean latency per request of each under the same load. The second
    server started is measurably slower on a loaded box whatever its setting, so main() runs both orders."""
    servers = []
    try:
        for k, enabled in enumerate(order):
            env = {**os.environ, **lb.SERVER_ENV, "REQUEST_LOG_ENABLED": "true" if enabled else "false"}
            servers.append(start_gunicorn(port=lb.PORT + 1 + k, workers=max(1, WORKERS // 2), env=env))
        spent: dict[bool, list[float]] = {False: [], True: []}
        for e in order:  # warm every worker of both servers
            warm = http.client.HTTPConnection("127.0.0.1", lb.PORT + 1 + order.index(e), timeout=30)
            for _ in range(20):
                lb.request(warm, "GET", path, token)
        stop = time.perf_counter() + SECONDS * ROUNDS

        def client(k):
            conns = {
                e: http.client.HTTPConnection("127.0.0.1", lb.PORT + 1 + int(e), timeout=30) for e in (False, True)
            }
            i = k
            while time.perf_counter() < stop:
                e = bool(i % 2)
                i += 1
                t0 = time.perf_counter()
                status, _ = lb.request(conns[e], "GET", path, token)
                assert status == 200
                spent[e].append(time.perf_counter() - t0)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CONCURRENCY)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statistics.mean(spent[False]) * 1000, statistics.mean(spent[True]) * 1000
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def cpu_per_request(path: str, token: str) -> tuple[float, float]:
    """Median CPU ms per request with logging off and on, requests interleaved so load drift hits both."""
    from django.test import Client, override_settings

    clients = {}
    for enabled in (False, True):
        with override_settings(REQUEST_LOG_ENABLED=enabled):
            clients[enabled] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            for _ in range(20):
                clients[enabled].get(path)  # builds this client's middleware chain with the setting
    samples: dict[bool, list[float]] = {False: [], True: []}
    for i in range(2 * CPU_N):
        enabled = bool(i % 2)
        t0 = time.process_time()
        clients[enabled].get(path)
        samples[enabled].append((time.process_time() - t0) * 1000)
    return statistics.median(samples[False]), statistics.median(samples[True])


def accounting(path: str, token: str) -> tuple[float, float]:
    """CPU µs the log adds per request: on the request path (the middleware's capture + append, measured around
    the real month-view request objects) and in the flusher (row building + masking + bulk INSERT, per row)."""
    from django.test import RequestFactory

    from staff import request_log
    from staff.request_log import Buffer

    class Done:
        status_code, streaming, content = 200, False, b""

    factory = RequestFactory()
    req = factory.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    local = Buffer()
    saved, request_log.buffer = request_log.buffer, local
    try:
        n = 20000
        t0 = time.process_time()
        for _ in range(n):
            started = time.perf_counter()
            body = request_log._capture_body(req)
            request_log._record(req, Done(), started, body)
        on_path = (time.process_time() - t0) / n * 1e6
        local.items.clear()
        post = factory.post("/api/support", data={"subject": "s", "message": "m", "password": "p"},
                            content_type="application/json")  # fmt: skip
        for i in range(2000):
            body = request_log._capture_body(post)
            request_log._record(post if i % 2 else req, Done(), time.perf_counter(), body)
        t0 = time.process_time()
        rows = local.flush()
        per_row = (time.process_time() - t0) / rows * 1e6
    finally:
        request_log.buffer = saved
    return on_path, per_row


def main() -> None:
    ensure_database(lb.DB_URL)
    lb.setup_django()
    user, _tutor, _students = lb.seed()
    token = lb.token_for(user)
    from django.utils import timezone

    from staff.models import RequestLog
    from staff.request_log import buffer

    path = lb.month_path(timezone.now())
    RequestLog.objects.all().delete()

    on_path_us, per_row_us = accounting(path, token)
    off_cpu, on_cpu = cpu_per_request(path, token)
    t0 = time.perf_counter()
    for _ in range(500):
        buffer.add((time.time(), "GET", "api/x/<uuid:id>", "/api/x/1", 200, 3, None, "", {"REMOTE_ADDR": "127.0.0.1"},
                    "bench", None, "", None))  # fmt: skip
    buffer.flush()
    flush_ms = (time.perf_counter() - t0) * 1000
    print(f"in-process CPU per month view: off {off_cpu:.2f} ms, on {on_cpu:.2f} ms "
          f"({100 * (on_cpu - off_cpu) / off_cpu:+.1f} %); 500-row flush {flush_ms:.0f} ms")  # fmt: skip

    print(f"accounting: {on_path_us:.1f} µs CPU on the request path + {per_row_us:.1f} µs CPU per row in the flusher "
          f"= {(on_path_us + per_row_us) / 10 / off_cpu:.2f} % of the month view's {off_cpu:.2f} ms CPU")  # fmt: skip
    RequestLog.objects.all().delete()
    a_off, a_on = paired(path, token, (False, True))
    b_off, b_on = paired(path, token, (True, False))
    print(f"paired, off started first: off {a_off:.1f} ms, on {a_on:.1f} ms; on started first: off {b_off:.1f} ms, "
          f"on {b_on:.1f} ms")  # fmt: skip
    off_ms, on_ms = (a_off + b_off) / 2, (a_on + b_on) / 2
    paired_cost = 100 * (1 - off_ms / on_ms)
    print(f"paired servers, both orders ({CONCURRENCY} clients alternating, 2 × {SECONDS * ROUNDS:.0f} s): mean off "
          f"{off_ms:.1f} ms, on {on_ms:.1f} ms → throughput cost {paired_cost:.1f} %", flush=True)  # fmt: skip
    results: dict[bool, list[float]] = {False: [], True: []}
    for r in range(ROUNDS):
        for enabled in (False, True) if r % 2 == 0 else (True, False):
            rps = serve_and_measure(enabled, path, token)
            results[enabled].append(rps)
            print(f"round {r + 1} logging {'on ' if enabled else 'off'}: {rps:.1f} req/s", flush=True)
    off, on = statistics.median(results[False]), statistics.median(results[True])
    logged = RequestLog.objects.filter(path__startswith="/api/teachers/me/lessons").count()
    cost = 100 * (off - on) / off
    print(f"throughput ({CONCURRENCY} clients, {WORKERS} gunicorn workers, median of {ROUNDS} rounds): "
          f"off {off:.1f} req/s, on {on:.1f} req/s, cost {cost:.1f} %; rows logged {logged}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
