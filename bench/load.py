"""Hostile mixed load on a real server, on loopback only: errors and the server's memory growth.

Starts ``observatory serve`` on a store (a release must be published there) on 127.0.0.1, warms the pages
once, then for ``--duration`` seconds keeps ``--connections`` concurrent clients busy with a mix of:

- cached pages (home, an indicator, an area, South Essex, the investor page, the API index);
- uncached unique API queries (observations with a different ``offset`` each time, some with a
  ``_cache-buster``): every one a new URL, so the response cache fills and must evict;
- long hostile query strings: ~64 KB (``release=current`` repeated; refused with 400 "URI Too Long") and
  ~30 KB under the cap (accepted, normalised to one cache key).

An error is a transport failure or any status other than the expected one (200; 400 for the over-long
queries). The server's resident memory (``VmRSS`` from ``/proc/PID/status``) is sampled every second:
growth = highest sample during the run − the sample after warming. Bounded: at most ``--connections``
requests in flight and ``--duration`` seconds; every request has a timeout.

    .venv/bin/python bench/load.py [--store var] [--duration 60] [--connections 128]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GVA = "gross-value-added-per-hour-worked"
PAGES = ["/", f"/indicators/{GVA}", "/areas/E06000033", "/areas/south-essex", "/invest", "/api/v1",
         f"/api/v1/indicators/{GVA}", "/indicators"]  # fmt: skip
HOSTILE_LONG = "&".join(["release=current"] * 4000)  # ~64 KB: over the cap
HOSTILE_UNDER = "&".join(["release=current"] * 1800)  # ~29 KB: under the cap, one key once normalised


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def request_for(i: int) -> tuple[str, int, str]:
    """(url, expected status, kind) of the i-th request of the mix."""
    kind = i % 10
    if kind < 4:
        return PAGES[i % len(PAGES)], 200, "cached page"
    if kind < 8:
        extra = f"&_b={i}" if kind == 7 else ""
        return f"/api/v1/observations?indicator={GVA}&limit=20&offset={i % 7000}{extra}", 200, "unique API query"
    if kind == 8:
        return f"/api/v1/indicators/{GVA}?{HOSTILE_LONG}", 400, "hostile over the cap"
    return f"/api/v1/indicators/{GVA}?{HOSTILE_UNDER}", 200, "hostile under the cap"


async def run(base: str, pid: int, duration: float, connections: int) -> int:
    # idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout can close them under it
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for path in PAGES:  # warm: the first render of a page is not what this measures
            (await client.get(path)).raise_for_status()
        start_rss = rss_kib(pid)
        peak = start_rss
        counts: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        latencies: list[float] = []
        numbers = itertools.count()
        deadline = time.monotonic() + duration

        async def worker() -> None:
            while time.monotonic() < deadline:
                url, expected, kind = request_for(next(numbers))
                began = time.perf_counter()
                try:
                    answer = await client.get(url)
                    status = answer.status_code
                except httpx.HTTPError as exc:
                    errors[f"{kind}: {type(exc).__name__}"] += 1
                    continue
                latencies.append(time.perf_counter() - began)
                counts[kind] += 1
                if status != expected:
                    errors[f"{kind}: HTTP {status}"] += 1

        async def sampler() -> None:
            nonlocal peak
            while time.monotonic() < deadline:
                peak = max(peak, rss_kib(pid))
                await asyncio.sleep(1.0)

        began = time.monotonic()
        await asyncio.gather(sampler(), *(worker() for _ in range(connections)))
        took = time.monotonic() - began
        end_rss = rss_kib(pid)
    total = sum(counts.values())
    latencies.sort()
    median = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    print(f"{total:,} requests in {took:.0f} s ({total / took:,.0f}/s) over {connections} connections on loopback")
    for kind, n in sorted(counts.items()):
        print(f"  {kind}: {n:,}")
    print(f"latency: median {median:.1f} ms, p99 {p99:.1f} ms")
    print(f"errors: {sum(errors.values())}" + "".join(f"\n  {k}: {v}" for k, v in errors.items()))
    print(f"server RSS: {start_rss / 1024:.1f} MiB after warming, peak {peak / 1024:.1f} MiB, end "
          f"{end_rss / 1024:.1f} MiB; growth {(peak - start_rss) / 1024:.1f} MiB (target < 64 MiB)")  # fmt: skip
    return 0 if not errors and peak - start_rss < 64 * 1024 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=os.environ.get("OBSERVATORY_STORE", "var"))
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args()
    if not 1 <= args.connections <= 512 or not 1 <= args.duration <= 600:
        parser.error("--connections must be 1–512 and --duration 1–600 s")
    port = free_port()
    exe = Path(sys.executable).parent / "observatory"
    cmd = [str(exe) if exe.exists() else "observatory", "serve", "--store", args.store, "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                sys.exit(f"observatory serve exited: {server.stderr.read().decode() if server.stderr else ''}")
            try:
                httpx.get(base + "/api/v1", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        code = asyncio.run(run(base, server.pid, args.duration, args.connections))
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.exit(code)


if __name__ == "__main__":
    main()
