"""API benchmark: the same observations served by /api/v1 and by Datasette, the same three queries, on loopback.

One run: export the current release to a SQLite file (observations joined with area names, indexed as an
analyst would), start Datasette on it and our API (uvicorn, one process each), check both answer each
query with the same observations, then load each with a fixed number of connections for a fixed time from
a second process (wrk if installed, else a small asyncio loader) and print requests/s, p50, p99 and the
ratio ours/Datasette. Each query cycles through several indicators/areas, identical for both servers.

Our API is measured twice: as deployed (releases are immutable, so rendered responses are cached per
release and URL after the first request) and with that cache switched off (every request queries DuckDB).

    .venv/bin/python bench/api.py [--store var] [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
DB_NAME = "observatory"
COLUMNS = (
    "indicator, area_code, area_name, period, period_label, period_start, period_duration, value, lci_95, uci_95,"
    " numerator, denominator, status, notes"
)
O_COLUMNS = ", ".join(f"o.{c.strip()}" for c in COLUMNS.split(","))
INDICATORS = [
    "gross-value-added-per-hour-worked",
    "employment-rate",
    "claimant-count",
    "gross-median-weekly-pay",
    "housing-affordability-ratio-residence-based",
    "male-healthy-life-expectancy",
    "gigabit-capable-broadband",
    "business-births",
]
AREAS = ["E06000033", "E06000034", "E07000066", "E07000068", "E07000069", "E07000075", "E92000001", "E12000006"]

SQL_ONE_SERIES = f"""SELECT {O_COLUMNS} FROM observations o WHERE indicator = :indicator AND area_code = :area
ORDER BY period_start, period_duration"""
# latest per series: the max period per group from the index, joined back (the fastest form SQLite has here)
SQL_INDICATOR_LATEST = f"""WITH m AS (SELECT area_code, max(period_start) AS p FROM observations
WHERE indicator = :indicator GROUP BY area_code)
SELECT {O_COLUMNS} FROM observations o JOIN m ON o.area_code = m.area_code AND o.period_start = m.p
WHERE o.indicator = :indicator ORDER BY o.area_code"""
SQL_AREA_LATEST = f"""WITH m AS (SELECT indicator, max(period_start) AS p FROM observations
WHERE area_code = :area GROUP BY indicator)
SELECT {O_COLUMNS} FROM observations o JOIN m ON o.indicator = m.indicator AND o.period_start = m.p
WHERE o.area_code = :area ORDER BY o.indicator"""

SERVE_OURS = textwrap.dedent(
    """
    import sys, uvicorn
    from observatory.web import api
    from observatory.web.app import create_app
    app = create_app()
    api.install(app)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)


@dataclass
class Query:
    name: str
    ours: list[str]
    datasette: list[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def export_sqlite(store: Path, target: Path) -> str:
    """The current release's observations with area names, as one SQLite table with an analyst's indexes."""
    release = (store / "CURRENT").read_text().strip()
    con = duckdb.connect(str(store / "releases" / f"{release}.duckdb"), read_only=True)
    cur = con.execute(
        f"SELECT {', '.join('o.' + c.strip() if c.strip() != 'area_name' else 'a.name' for c in COLUMNS.split(','))} "
        "FROM observations o JOIN areas a ON a.code = o.area_code ORDER BY o.indicator, o.area_code, o.period_start"
    )
    lite = sqlite3.connect(target)
    lite.execute(
        "CREATE TABLE observations (indicator TEXT NOT NULL, area_code TEXT NOT NULL, area_name TEXT NOT NULL,"
        " period TEXT NOT NULL, period_label TEXT, period_start TEXT NOT NULL, period_duration TEXT, value REAL,"
        " lci_95 REAL, uci_95 REAL, numerator REAL, denominator REAL, status TEXT, notes TEXT)"
    )
    while batch := cur.fetchmany(20_000):
        lite.executemany(
            "INSERT INTO observations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*r[:5], r[5].isoformat(), *r[6:]) for r in batch],
        )
    lite.execute("CREATE INDEX obs_indicator_area ON observations (indicator, area_code, period_start)")
    lite.execute("CREATE INDEX obs_area_indicator ON observations (area_code, indicator, period_start)")
    lite.execute("ANALYZE")
    lite.commit()
    lite.close()
    con.close()
    return release


def queries(ours_base: str, datasette_base: str) -> list[Query]:
    def ds(sql: str, **params: str) -> str:
        return f"{datasette_base}/{DB_NAME}.json?" + urlencode({"sql": sql, **params, "_shape": "array"})

    pairs = [(i, a) for i in INDICATORS for a in AREAS[:3]]
    return [
        Query(
            "1 indicator × 1 area, over time",
            [f"{ours_base}/api/v1/observations?" + urlencode({"indicator": i, "area": a}) for i, a in pairs],
            [ds(SQL_ONE_SERIES, indicator=i, area=a) for i, a in pairs],
        ),
        Query(
            "1 indicator × all areas, latest",
            [f"{ours_base}/api/v1/observations?" + urlencode({"indicator": i, "latest": "true", "limit": "10000"})
             for i in INDICATORS],
            [ds(SQL_INDICATOR_LATEST, indicator=i) for i in INDICATORS],
        ),
        Query(
            "1 area × all indicators, latest",
            [f"{ours_base}/api/v1/observations?" + urlencode({"area": a, "latest": "true", "limit": "10000"})
             for a in AREAS],
            [ds(SQL_AREA_LATEST, area=a) for a in AREAS],
        ),
    ]  # fmt: skip


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise SystemExit(f"server exited early ({proc.returncode}) for {url}:\n{err}")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not come up: {url}")


def same_observations(ours_url: str, datasette_url: str) -> int:
    """Both servers give the same (indicator, area, period, value) set; returns how many rows."""
    mine = httpx.get(ours_url, timeout=60).json()["observations"]
    theirs = httpx.get(datasette_url, timeout=60).json()
    key = lambda r: (r["indicator"], r["area_code"], r["period"], r["value"])  # noqa: E731
    a, b = sorted(map(key, mine), key=str), sorted(map(key, theirs), key=str)
    if a != b:
        raise SystemExit(f"different answers:\n  {ours_url} ({len(a)} rows)\n  {datasette_url} ({len(b)} rows)")
    return len(a)


WRK_SCRIPT = """
paths = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s)", text)
    if not found:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def load_wrk(urls: list[str], duration: int, connections: int) -> dict[str, float]:
    base = re.match(r"(https?://[^/]+)", urls[0])
    assert base is not None
    paths = ", ".join(json.dumps(u[len(base.group(1)) :]) for u in urls)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT % paths)
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, base.group(1) + "/"],
            capture_output=True, text=True, check=True, timeout=duration + 60,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return {"rps": rps, "p50": p50, "p99": p99}


LOADER = textwrap.dedent(
    """
    import asyncio, json, sys, time, httpx
    urls, duration, connections = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    async def main():
        lat, bad, n = [], 0, 0
        stop = time.perf_counter() + duration
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections), timeout=30,
                                     headers={"Accept-Encoding": "identity"}) as client:
            async def worker(k):
                nonlocal bad, n
                i = k
                while time.perf_counter() < stop:
                    t = time.perf_counter()
                    r = await client.get(urls[i % len(urls)])
                    lat.append(time.perf_counter() - t)
                    bad += r.status_code != 200
                    i += 1
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(k) for k in range(connections)))
            elapsed = time.perf_counter() - t0
        lat.sort()
        print(json.dumps({"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1000,
                          "p99": lat[int(len(lat) * 0.99)] * 1000, "bad": bad}))
    asyncio.run(main())
    """
)


def load_python(urls: list[str], duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", LOADER, json.dumps(urls), str(duration), str(connections)],
        capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    result: dict[str, float] = json.loads(out)
    if result.get("bad"):
        raise SystemExit(f"the loader saw {result['bad']} error responses")
    return result


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(os.environ.get("OBSERVATORY_STORE", REPO / "var")))
    parser.add_argument("--config", type=Path, default=REPO / "observatory.toml")
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per query, server and round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    if not (args.store / "CURRENT").exists():
        raise SystemExit(f"no release in {args.store}: run `make run` (or observatory build) first")
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk") is not None)
    load = load_wrk if use_wrk else load_python
    bin_dir = Path(sys.executable).parent
    datasette_bin = shutil.which("datasette", path=str(bin_dir)) or shutil.which("datasette")
    if datasette_bin is None:
        raise SystemExit("datasette is not installed (pip install datasette==0.65.5)")

    servers = ("datasette", "ours", "ours, no cache")
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / f"{DB_NAME}.db"
        t = time.perf_counter()
        release = export_sqlite(args.store, db)
        print(f"release {release}: SQLite export in {time.perf_counter() - t:.1f} s ({db.stat().st_size >> 20} MiB)")
        env = {**os.environ, "OBSERVATORY_STORE": str(args.store.resolve()), "OBSERVATORY_CONFIG": str(args.config)}
        ports = {server: free_port() for server in servers}
        try:
            procs.append(start(
                [datasette_bin, "serve", "-i", str(db), "-h", "127.0.0.1", "-p", str(ports["datasette"]),
                 "--setting", "max_returned_rows", "10000", "--setting", "sql_time_limit_ms", "10000",
                 "--setting", "suggest_facets", "off", "--setting", "num_sql_threads", "3"],
                env,
            ))  # fmt: skip
            procs.append(start([sys.executable, "-c", SERVE_OURS, str(ports["ours"])], env))
            procs.append(
                start(
                    [sys.executable, "-c", SERVE_OURS, str(ports["ours, no cache"])],
                    {**env, "OBSERVATORY_API_CACHE_BYTES": "0"},
                )
            )
            wait_up(f"http://127.0.0.1:{ports['datasette']}/-/versions.json", procs[0])
            wait_up(f"http://127.0.0.1:{ports['ours']}/api/v1", procs[1])
            wait_up(f"http://127.0.0.1:{ports['ours, no cache']}/api/v1", procs[2])
            base = {server: f"http://127.0.0.1:{port}" for server, port in ports.items()}
            plan = {server: queries(base[server], base["datasette"]) for server in servers if server != "datasette"}
            for q in plan["ours"]:
                n = [same_observations(a, b) for a, b in zip(q.ours, q.datasette, strict=True)]
                print(f"{q.name}: {len(n)} URLs, {statistics.mean(n):.0f} rows each, same on both servers")
            for q in plan["ours, no cache"]:
                for url in q.ours:  # every URL once (the cached server was warmed by the check above)
                    httpx.get(url, timeout=60).raise_for_status()
            # rounds interleave the servers so that a change in background load hits all of them alike
            for round_no in range(args.rounds):
                for i, q in enumerate(plan["ours"]):
                    for server in servers:
                        urls = q.datasette if server == "datasette" else plan[server][i].ours
                        result = load(urls, args.duration, args.connections)
                        runs.setdefault(q.name, {}).setdefault(server, []).append(result)
                print(f"round {round_no + 1}/{args.rounds} done")
        finally:
            for proc in procs:
                stop(proc)
    results = {
        name: {server: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
               for server, rs in by_server.items()}
        for name, by_server in runs.items()
    }  # fmt: skip

    loader = "wrk -t1" if use_wrk else "python asyncio loader"
    print(f"\n{loader}, {args.connections} connections, {args.duration} s per query and server, "
          f"median of {args.rounds} interleaved rounds, loopback; load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print(f"{'query':36} {'server':16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× datasette':>12}")
    for name, by_server in results.items():
        peer = by_server["datasette"]["rps"]
        for server in servers:
            r = by_server[server]
            ratio = "" if server == "datasette" else f"{r['rps'] / peer:.1f}×"
            print(f"{name:36} {server:16} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {ratio:>12}")
    summary: dict[str, Any] = {name: {k: v["rps"] for k, v in s.items()} for name, s in results.items()}
    print("\n" + json.dumps(summary))


if __name__ == "__main__":
    main()
