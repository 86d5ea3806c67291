"""Downloads are safe to open in a spreadsheet: a poisoned source file never becomes a formula.

A small release is built from the real reference sources plus one hand-written ONS ELS dataset whose
indicator name, label, subtitle, source, caveats, an area name, notes and a status begin with ``=``,
``+``, ``-``, ``@`` or a tab (``=HYPERLINK("http://x","y")``, ``@SUM(1)``, …). Every CSV and XLSX route
is then downloaded — page ``.csv`` (with and without ``?bom=1``), API ``format=csv`` and ``format=xlsx``,
the bulk ``observations.csv.gz`` and ``observatory export`` — and checked cell by cell: no XLSX cell is a
formula, every poisoned text in a CSV is neutralised with a leading ``'`` (OWASP), numbers (``-0.5``)
stay numbers, and the poisoned texts really are in the files (so the check is not vacuous).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from observatory.config import slugify
from observatory.pipeline.build import build_release
from observatory.sources.numbers import is_plain_number
from observatory.store import Store
from observatory.web.app import create_app
from observatory.web.formats import FORMULA_STARTS, table_csv
from observatory.web.pages import clear_caches
from tests.conftest import link_reference_sources, reduced_config

pytestmark = pytest.mark.slow

LINK = '=HYPERLINK("http://x","y")'
AT = "@SUM(1)"
PLUS = "+SUM(1,2)"
MINUS = "-2+3"
TAB = "\t=1+1"  # the ELS reader strips the tab of free text, leaving "=1+1": neutralised all the same
EQ = "=1+1"
NAME = LINK  # the indicator's name in the CSV (and so its label)
SLUG = slugify(NAME)
ROGUE = "E07000999"  # an area the reference geography lacks: its name comes from the poisoned file
POISON = (LINK, AT, PLUS, MINUS, EQ)

HEADER = "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes"
ROWS = [
    ("E07000066", "Basildon", "81.5", "", AT),
    ("E07000068", "Brentwood", "79.0", "", MINUS),
    ("E07000069", "Castle Point", "", "=1+1", ""),
    ("E07000075", "Rochford", "-0.5", "", PLUS),
    ("E06000033", "Southend-on-Sea", "84.25", "", TAB),
    ("E06000034", "Thurrock", "83.0", "", LINK),
    ("E92000001", "England", "80.1", "", ""),
    (ROGUE, LINK, "70.0", "", AT),
]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def poisoned_dataset(folder: Path) -> None:
    folder.mkdir(parents=True)
    lines = [HEADER]
    for code, name, value, status, notes in ROWS:
        geography = "Country" if code.startswith("E92") else "Local Authority District"
        fields = [code, _quote(name), geography, _quote(NAME), "2025-01-01/P1Y", value, "Percentage", "%", "", "",
                  _quote(status), _quote(notes)]  # fmt: skip
        lines.append(",".join(fields))
    (folder / "poisoned.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = {
        "ess-beta-metadata": {
            "label": LINK,
            "subtitle": PLUS,
            "caveats": MINUS,
            "sourceOrg": AT,
            "sourceURL": "https://example.org/",
            "suffix": "%",
            "decimalPlaces": 1,
            "sourceDate": "01/02/2026",
        }
    }
    (folder / "poisoned.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[tuple[Store, TestClient]]:
    root = tmp_path_factory.mktemp("poisoned")
    sources = root / "sources"
    link_reference_sources(sources, shared, reduced=True)  # the poisoned dataset needs only the areas
    config = reduced_config(root)
    poisoned_dataset(sources / "ons-els" / "poisoned")
    store = Store(root / "store")
    report = build_release(config, sources, store)
    assert report.published, [str(f) for f in report.errors()]
    clear_caches()
    with TestClient(create_app(store, config), raise_server_exceptions=False) as client:
        yield store, client
    clear_caches()


def check_csv(text: str, where: str) -> set[str]:
    """Every cell is formula-safe; returns the poisoned texts found (neutralised) in the file."""
    found: set[str] = set()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, f"{where}: no header row"
    for row in rows:
        for cell in row:
            if cell[:1] in FORMULA_STARTS:
                assert is_plain_number(cell), f"{where}: unneutralised formula text {cell!r}"
            for p in POISON:
                if p in cell:
                    assert cell.startswith("'") or not cell.startswith(p), f"{where}: {cell!r}"
                    found.add(p)
    return found


def check_xlsx(body: bytes, where: str) -> set[str]:
    found: set[str] = set()
    wb = load_workbook(io.BytesIO(body))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{where}: {ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_STARTS:
                    assert cell.data_type == "s" and cell.quotePrefix, f"{where}: {cell.coordinate} {cell.value!r}"
                    found.add(cell.value)
    return found


def test_page_csv_downloads_are_formula_safe(poisoned: tuple[Store, TestClient]) -> None:
    _store, client = poisoned
    found: set[str] = set()
    for path in (f"/indicators/{SLUG}.csv", f"/areas/{ROGUE}.csv", "/indicators.csv", "/areas/E07000066.csv",
                 f"/search.csv?q={SLUG}", "/about.csv"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        assert not response.content.startswith(b"\xef\xbb\xbf"), f"{path}: a BOM without ?bom=1"
        found |= check_csv(response.text, path)
        excel = client.get(path + ("&" if "?" in path else "?") + "bom=1")
        assert excel.content.startswith(b"\xef\xbb\xbf"), f"{path}?bom=1 has no UTF-8 BOM"
        assert excel.content[3:] == response.content, f"{path}: ?bom=1 changes more than the BOM"
    # the indicator's label, an area name and the notes were really in the files, neutralised
    assert {LINK, AT, PLUS} <= found, found


def test_api_csv_and_xlsx_are_formula_safe(poisoned: tuple[Store, TestClient]) -> None:
    _store, client = poisoned
    base = f"/api/v1/observations?indicator={SLUG}"
    response = client.get(f"{base}&format=csv")
    assert response.status_code == 200
    found = check_csv(response.text, "API csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_code = {r["area_code"]: r for r in rows}
    # neutralised exactly: a quote in front, the rest as written
    assert by_code[ROGUE]["area_name"] == "'" + LINK
    assert by_code["E07000066"]["notes"] == "'" + AT and by_code["E07000068"]["notes"] == "'" + MINUS
    assert by_code["E06000033"]["notes"] == "'" + EQ and by_code["E07000069"]["status"] == "'" + EQ
    assert by_code["E07000075"]["value"] == "-0.5"  # a negative number stays a number
    assert found >= {LINK, AT, PLUS, MINUS, EQ}
    excel = client.get(f"{base}&format=csv&bom=1")
    assert excel.content == b"\xef\xbb\xbf" + response.content

    xlsx = client.get(f"{base}&format=xlsx")
    assert xlsx.status_code == 200
    cells = check_xlsx(xlsx.content, "API xlsx")
    # the texts are kept as written (typed as text), not mangled
    assert {LINK, AT, PLUS, MINUS, EQ} <= cells, cells
    wb = load_workbook(io.BytesIO(xlsx.content))
    values = [c.value for row in wb["data"].iter_rows() for c in row]
    assert -0.5 in values  # numbers stay numeric cells


def test_bulk_file_and_cli_export_are_formula_safe(poisoned: tuple[Store, TestClient]) -> None:
    store, client = poisoned
    release = store.current_id()
    response = client.get(f"/api/v1/releases/{release}/observations.csv.gz")
    assert response.status_code == 200
    text = gzip.decompress(response.content).decode("utf-8")
    assert {LINK, AT, PLUS, MINUS, EQ} <= check_csv(text, "bulk csv.gz")

    exported = subprocess.run(
        [sys.executable, "-m", "observatory", "export", "--indicator", SLUG, "--store", str(store.root)],
        capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr.decode()
    out = exported.stdout.decode("utf-8")
    assert {LINK, AT, PLUS, MINUS, EQ} <= check_csv(out, "observatory export")
    assert out.splitlines()[0].startswith("area_code,area_name,indicator,period")


def test_empty_csv_has_its_header_row(poisoned: tuple[Store, TestClient]) -> None:
    _store, client = poisoned
    response = client.get("/search.csv?q=qqqqzzzzxxxx")
    assert response.status_code == 200
    assert response.text.splitlines() == ["kind,label,detail,code,url,score"]
    changes = client.get("/changes.csv")  # one release: nothing changed
    assert changes.status_code == 200 and changes.text.splitlines()[0].startswith("change,indicator,")
    api = client.get("/api/v1/observations?indicator=" + SLUG + "&from=2030&format=csv")
    assert api.status_code == 200 and api.text.splitlines() == [api.text.splitlines()[0]]
    assert api.text.startswith("area_code,area_name,")


def test_formula_safe_writer_rules() -> None:
    row = {"a": "=1", "b": -1.5, "c": "-1.5", "d": "a=b", "e": "+44 1234", "f": None, "g": "\t=1", "h": "@x"}
    body = table_csv([row]).decode()
    assert body.splitlines() == ["a,b,c,d,e,f,g,h", "'=1,-1.5,-1.5,a=b,'+44 1234,,'\t=1,'@x"]
    assert table_csv([], ["x", "y"]) == b"x,y\n"


def test_no_raw_pipe_separator_in_public_sources(client: TestClient) -> None:
    """ONS lists two producers for gross median weekly pay, "Office for National Statistics|Northern Ireland
    Statistics and Research Agency" (ons-els metadata); every public output lists them with "; ", never "|"."""
    both = "Office for National Statistics; Northern Ireland Statistics and Research Agency"
    area_csv = client.get("/areas/E06000034.csv").text
    assert both in area_csv
    for url in ("/areas/E06000034.csv", "/invest.csv", "/indicators/gross-median-weekly-pay"):
        body = client.get(url).text
        assert "Statistics|Northern" not in body, url
    page = client.get("/indicators/gross-median-weekly-pay").text
    ld = page[page.index('<script type="application/ld+json">') :]
    assert both in ld[: ld.index("</script>")]
    meta = client.get("/api/v1/indicators/gross-median-weekly-pay").json()
    assert meta["source"]["organisation"] == both  # the raw "|"-list stays in source_org for machines
