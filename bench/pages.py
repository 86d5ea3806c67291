"""Page benchmark: latency and throughput of the site under a bounded load on loopback, plus Lighthouse.

For the home page, one indicator page and one area page, on a full release (built here from ../shared/data
unless ``--store`` names one):

- cold: a fresh ``observatory serve`` per page; the first request's time, then a short wrk run at once;
- warm: one server, every page warmed up, then a wrk run per page;
- Lighthouse 12.2.3 (mobile; performance and accessibility) on the warm server, with each page's transferred
  bytes (Lighthouse's ``total-byte-weight``: the document and everything it loads, as sent over the wire).

wrk sends ``Accept-Encoding: gzip`` like a browser, with ``--timeout`` long enough that slow responses are
measured rather than dropped. Targets are reported, never asserted: warm p99 < 50 ms at 32 connections,
Lighthouse accessibility 100 and performance >= 90 (mobile), each page <= 250 KB transferred.

    .venv/bin/python bench/pages.py [--store DIR | --sources ../shared/data] [--duration 10] [--connections 32]
                                    [--workers 1] [--no-lighthouse] [--json bench/out/pages.json]

Needs wrk, /usr/bin/chromium and node_modules (``scripts/setup-system.sh`` installs them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
PAGES = {
    "home": "/",
    "indicator": "/indicators/gross-value-added-per-hour-worked",
    "area": "/areas/E06000033",
}
TARGET_P99_MS = 50.0
TARGET_PERF = 90
TARGET_A11Y = 100
TARGET_BYTES = 250 * 1024


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# Server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def observatory() -> list[str]:
    exe = Path(sys.executable).parent / "observatory"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from observatory.cli import main; main()"]


@contextmanager
def server(store: Path, workers: int) -> Iterator[str]:
    """A fresh ``observatory serve``; yields its base URL once it accepts connections (no page is requested)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [*observatory(), "serve", "--store", str(store), "--port", str(port), "--workers", str(workers),
           "--config", str(REPO / "observatory.toml")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"observatory serve exited with {proc.returncode}: {Path(log.name).read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("observatory serve did not start within 120 s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        os.unlink(log.name)


def first_request(url: str) -> dict[str, Any]:
    t = time.perf_counter()
    with httpx.Client(timeout=120, headers={"Accept-Encoding": "gzip"}) as client:
        r = client.get(url)
        body = r.num_bytes_downloaded
    return {"ms": (time.perf_counter() - t) * 1000, "status": r.status_code, "html_gzip_bytes": body}


# --------------------------------------------------------------------------------------------------------------
# wrk

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"cannot read a wrk duration: {text!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    """Median, p99, requests/s, request count and errors from ``wrk --latency`` output."""
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+),", out, re.M)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (pct and rps and total):
        raise ValueError(f"unexpected wrk output:\n{out}")
    if int(total.group(1)) == 0:  # nothing finished within the run: wrk prints zeros, which are not latencies
        pct = {}
    return {
        "p50_ms": pct.get("50"),
        "p90_ms": pct.get("90"),
        "p99_ms": pct.get("99"),
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "errors": sum(int(x) for x in sock.groups()) if sock else 0,
        "timeouts": int(sock.group(4)) if sock else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def wrk(url: str, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
           "--timeout", "30s", "-H", "Accept-Encoding: gzip", url]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_wrk(out)


# --------------------------------------------------------------------------------------------------------------
# Lighthouse


def lighthouse(url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-lh-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(LIGHTHOUSE), url, f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile",
               "--only-categories=performance,accessibility", "--form-factor=mobile", "--output=json",
               f"--output-path={report}", "--quiet"]  # fmt: skip
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        if done.returncode != 0 or not report.exists():
            return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["lighthouse failed"]}
        data = json.loads(report.read_text())
    audits = data["audits"]

    def num(audit: str) -> float | None:
        value = audits.get(audit, {}).get("numericValue")
        return float(value) if value is not None else None

    failing = sorted(
        k
        for k, a in audits.items()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") in ("binary", "metricSavings")
    )
    return {
        "version": data["lighthouseVersion"],
        "performance": round(data["categories"]["performance"]["score"] * 100),
        "accessibility": round(data["categories"]["accessibility"]["score"] * 100),
        "bytes": num("total-byte-weight"),
        "fcp_ms": num("first-contentful-paint"),
        "lcp_ms": num("largest-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift"),
        "not_passed": failing,
        "warnings": data.get("runWarnings", []),
    }


# --------------------------------------------------------------------------------------------------------------
# Report


def fmt_ms(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def ok(flag: bool) -> str:
    return "ok" if flag else "MISS"


def report(results: dict[str, Any]) -> str:
    args = results["settings"]
    out = [
        f"Page benchmark — release {results['release']}, {args['connections']} connections, wrk {args['duration']} s "
        f"warm / {args['cold_duration']} s cold, {args['workers']} server worker(s), {os.cpu_count()} CPUs, "
        f"load average at start {results['loadavg'][0]:.2f}",
        "",
    ]
    rows = []
    for name, path in PAGES.items():
        c, w = results["cold"][name], results["warm"][name]
        errs = c["run"]["errors"] + c["run"]["non_2xx"] + w["errors"] + w["non_2xx"]
        rows.append([
            f"{name} {path}", fmt_ms(c["first"]["ms"]), fmt_ms(c["run"]["p50_ms"]), fmt_ms(c["run"]["p99_ms"]),
            f"{c['run']['rps']:.1f}", fmt_ms(w["p50_ms"]), fmt_ms(w["p99_ms"]), f"{w['rps']:.1f}",
            str(errs), ok(w["p99_ms"] is not None and w["p99_ms"] < TARGET_P99_MS),
        ])  # fmt: skip
    out.append(table(rows, ["page", "cold 1st ms", "cold p50", "cold p99", "cold rps", "warm p50", "warm p99",
                            "warm rps", "errors", "p99<50ms"]))  # fmt: skip
    if results.get("lighthouse"):
        out.append("")
        rows = []
        for name, path in PAGES.items():
            lh = results["lighthouse"][name]
            html = results["cold"][name]["first"]["html_gzip_bytes"]
            if "error" in lh:
                rows.append([f"{name} {path}", "error", " ".join(lh["error"]), "", "", "", "", "", ""])
                continue
            kb = (lh["bytes"] or 0) / 1024
            rows.append([
                f"{name} {path}", str(lh["performance"]), str(lh["accessibility"]), f"{kb:.0f}", f"{html / 1024:.0f}",
                fmt_ms(lh["fcp_ms"]), fmt_ms(lh["lcp_ms"]), fmt_ms(lh["tbt_ms"]),
                f"{ok(lh['performance'] >= TARGET_PERF)}/{ok(lh['accessibility'] >= TARGET_A11Y)}/"
                f"{ok((lh['bytes'] or 0) <= TARGET_BYTES)}",
            ])  # fmt: skip
        version = next((lh["version"] for lh in results["lighthouse"].values() if "version" in lh), "?")
        out.append(f"Lighthouse {version}, mobile (simulated throttling):")
        out.append(table(rows, ["page", "perf", "a11y", "KB sent", "HTML gz KB", "FCP ms", "LCP ms", "TBT ms",
                                "perf/a11y/size"]))  # fmt: skip
        for name, lh in results["lighthouse"].items():
            if lh.get("not_passed"):
                out.append(f"  {name}: audits not passed: {', '.join(lh['not_passed'])}")
    out.append("")
    out.append(
        f"Targets: warm p99 < {TARGET_P99_MS:.0f} ms at {args['connections']} connections; Lighthouse "
        f"accessibility {TARGET_A11Y}, performance >= {TARGET_PERF}; <= {TARGET_BYTES // 1024} KB per page."
    )
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------------------


def build_store(sources: Path, into: Path) -> Path:
    say(f"building a release from {sources} …")
    subprocess.run([*observatory(), "build", "--sources", str(sources), "--store", str(into),
                    "--config", str(REPO / "observatory.toml")], check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="an existing release store (default: build one into a temp dir)")
    ap.add_argument("--sources", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of wrk per page, warm")
    ap.add_argument("--cold-duration", type=float, default=5.0, help="seconds of wrk per page right after start")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of wrk per page before the warm runs")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--no-lighthouse", action="store_true")
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "pages.json", help="machine-readable copy")
    args = ap.parse_args()

    needs = [
        ("wrk", shutil.which("wrk") is not None),
        (CHROMIUM, Path(CHROMIUM).exists()),
        (str(LIGHTHOUSE), LIGHTHOUSE.exists() or args.no_lighthouse),
    ]
    missing = [what for what, there in needs if not there]
    if missing:
        say(f"bench/pages.py needs {', '.join(missing)}: run scripts/setup-system.sh")
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        store = args.store or build_store(args.sources, Path(tmp) / "store")
        results: dict[str, Any] = {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                   "loadavg": os.getloadavg(), "cold": {}, "warm": {}}  # fmt: skip
        for name, path in PAGES.items():
            with server(store, args.workers) as base:
                say(f"cold {name}: first request and {args.cold_duration:.0f} s of wrk right after start …")
                first = first_request(base + path)
                run = wrk(base + path, args.cold_duration, args.connections, args.threads)
                results["cold"][name] = {"first": first, "run": run}
        with server(store, args.workers) as base:
            results["release"] = httpx.get(base + "/", timeout=120).headers.get("x-observatory-release", "?")
            for name, path in PAGES.items():
                say(f"warm-up {name}: 5 requests, then {args.warmup:.0f} s of wrk …")
                for _ in range(5):
                    first_request(base + path)
                wrk(base + path, args.warmup, args.connections, args.threads)
            for name, path in PAGES.items():
                say(f"warm {name}: {args.duration:.0f} s of wrk …")
                results["warm"][name] = wrk(base + path, args.duration, args.connections, args.threads)
            if not args.no_lighthouse:
                results["lighthouse"] = {}
                for name, path in PAGES.items():
                    say(f"lighthouse {name} …")
                    results["lighthouse"][name] = lighthouse(base + path)

    text = report(results)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        say(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
