"""The productivity gap: the GVA-by-industry reader, location quotients, shift-share and the England index."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory.sources.gva_itl3 import FILES, GvaResult, industry_level, parse_number, read_gva_file, read_gva_itl3
from observatory.stats.productivity import index_of, industry_table, location_quotients, shift_share, uk_sum
from tests.conftest import require
from tests.test_stats_derive import derived, read

__all__ = ["derived"]

GVA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ons-gva-itl3-by-industry"
INDUSTRIES = ["AB (1-9)", "C (10-33)", "DE (35-39)", "F (41-43)", "G (45-47)", "H (49-53)", "I (55-56)",
              "J (58-63)", "K (64-66)", "L (68)", "M (69-75)", "N (77-82)", "O (84)", "P (85)", "Q (86-88)",
              "R (90-93)", "S (94-96)", "T (97-98)"]  # fmt: skip


@pytest.fixture(scope="module")
def current_csv() -> list[dict[str, str]]:
    path = GVA_DIR / FILES["current"]
    require(path.is_file(), "the GVA-by-industry tables are not available")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def gva(current_csv: list[dict[str, str]]) -> GvaResult:
    return read_gva_itl3(GVA_DIR)


def _v(row: dict[str, str], year: int) -> float:
    return float(row[str(year)].replace(",", ""))


def test_numbers_with_thousands_separators() -> None:
    assert parse_number("3,345") == 3345.0
    assert parse_number("994") == 994.0
    assert parse_number("1,234,567.5") == 1234567.5
    assert parse_number("1,23") is None
    assert parse_number("..") is None
    assert parse_number("") is None


def test_hierarchy_levels() -> None:
    assert industry_level("Total") == "total"
    assert industry_level("A-E") == "sector"
    assert industry_level("AB (1-9)") == "industry"
    assert industry_level("L (68)") == "industry"
    assert industry_level("CA (10-12)") == "division"  # a part of manufacturing, not a broad industry
    assert industry_level("68IMP") == "division"
    assert industry_level("41") == "division"


def test_reader_reads_both_tables(current_csv: list[dict[str, str]], gva: GvaResult) -> None:
    result = gva
    assert result.findings == []
    assert result.rows_read == 2 * 11456
    southend = next(
        r for r in result.rows if r.prices == "current" and r.itl3_code == "TLH31" and r.sic_code == "Total"
    )
    assert southend.values[2021] == 2978.0  # PROVENANCE.md: Southend-on-Sea, all industries, 2021 = £2,978m
    assert southend.source_row == 1 + 1 + next(i for i, r in enumerate(current_csv) if r["ITL region code"] == "TLH31")
    assert len({r.itl3_code for r in result.rows}) == 179


def test_reader_names_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        'ITL region code,ITL region name,SIC07 code,SIC07 description,2020,2021\nTLX1,X,Total,All,"1,000",n/a\n',
        encoding="utf-8",
    )
    result = read_gva_file(path, "current", "t.csv")
    assert result.rows[0].values == {2020: 1000.0}
    (f,) = result.findings
    assert (f.rule, f.file, f.row, f.column, f.value) == ("value.not-numeric", "t.csv", 2, "2021", "n/a")
    bad = tmp_path / "b.csv"
    bad.write_text("code,name\nx,y\n", encoding="utf-8")
    assert read_gva_file(bad, "current", "b.csv").findings[0].rule == "header.unexpected"


def test_location_quotient_of_transport_in_thurrock_by_hand(current_csv: list[dict[str, str]], gva: GvaResult) -> None:
    # 2021, current prices: Thurrock H (transport and storage) £699m of £4,562m (sum of the 18 industries);
    # UK (all 179 ITL3 areas) H £63,465m of £2,025,589m → LQ = (699 / 4562) / (63465 / 2025589) = 4.890
    thurrock = {
        r["SIC07 code"]: _v(r, 2021)
        for r in current_csv
        if r["ITL region code"] == "TLH32" and r["SIC07 code"] in INDUSTRIES
    }
    uk_h = sum(_v(r, 2021) for r in current_csv if r["SIC07 code"] == "H (49-53)")
    uk_all = sum(_v(r, 2021) for r in current_csv if r["SIC07 code"] in INDUSTRIES)
    assert (thurrock["H (49-53)"], sum(thurrock.values()), uk_h, uk_all) == (699.0, 4562.0, 63465.0, 2025589.0)
    expected = (699 / 4562) / (63465 / 2025589)  # = 4.890

    table = industry_table(gva.rows)
    uk = uk_sum(table)
    lqs = {q.sic_code: q for q in location_quotients(table[("TLH32", 2021)], uk[2021], "TLH32", 2021)}
    assert lqs["H (49-53)"].lq == pytest.approx(expected)
    assert sum(q.area_share for q in lqs.values()) == pytest.approx(1.0)


def test_location_quotients_in_the_release(derived: Path, current_csv: list[dict[str, str]]) -> None:
    with read(derived) as con:
        lq = con.execute(
            "SELECT lq FROM location_quotients WHERE itl3_code = 'TLH32' AND sic_code = 'H (49-53)' AND year = 2021"
        ).fetchone()
        areas = [r[0] for r in con.execute("SELECT DISTINCT itl3_code FROM location_quotients ORDER BY 1").fetchall()]
        names = dict(con.execute("SELECT DISTINCT itl3_code, itl3_name FROM gva_industry").fetchall())
    # On GVA excluding owner-occupiers' imputed rental (68IMP), read from the same file, for area and UK alike
    imp = {r["ITL region code"]: _v(r, 2021) for r in current_csv if r["SIC07 code"] == "68IMP"}
    expected = (699 / (4562 - imp["TLH32"])) / (63465 / (2025589 - sum(imp.values())))
    assert lq is not None and lq[0] == pytest.approx(expected)
    assert areas == ["TLH31", "TLH32", "TLH36", "TLH37"]
    assert [names[a] for a in areas] == ["Southend-on-Sea", "Thurrock", "Heart of Essex", "Essex Thames Gateway"]


def test_shift_share_by_hand() -> None:
    # UK grows 2000 → 2400 (+20%); industry X +10%, Y +30%.
    # X: base 100 → 120: national 20, mix 100 × (0.1 − 0.2) = −10, local 120 − 100 − 20 + 10 = 10
    # Y: base 50 → 40: national 10, mix 50 × (0.3 − 0.2) = 5, local −10 − 10 − 5 = −25
    result = shift_share("R", {"X": 100, "Y": 50}, {"X": 120, "Y": 40}, {"X": 1000, "Y": 1000}, {"X": 1100, "Y": 1300},
                         2011, 2021)  # fmt: skip
    rows = {r.sic_code: r for r in result}
    assert (rows["X"].national_growth, rows["X"].industry_mix, rows["X"].local) == pytest.approx((20, -10, 10))
    assert (rows["Y"].national_growth, rows["Y"].industry_mix, rows["Y"].local) == pytest.approx((10, 5, -25))
    total = rows["Total"]
    assert (total.actual_change, total.national_growth, total.industry_mix, total.local) == pytest.approx(
        (10, 30, -5, -15)
    )


def test_shift_share_of_southend_from_the_source_csv(current_csv: list[dict[str, str]], derived: Path) -> None:
    base = {
        r["SIC07 code"]: _v(r, 2011)
        for r in current_csv
        if r["ITL region code"] == "TLH31" and r["SIC07 code"] in INDUSTRIES
    }
    end = {
        r["SIC07 code"]: _v(r, 2021)
        for r in current_csv
        if r["ITL region code"] == "TLH31" and r["SIC07 code"] in INDUSTRIES
    }
    assert (sum(base.values()), sum(end.values())) == (2487.0, 2977.0)  # actual change £490m
    with read(derived) as con:
        rows = con.execute(
            "SELECT sic_code, actual_change, national_growth, industry_mix, local FROM shift_share"
            " WHERE itl3_code = 'TLH31' AND base_year = 2011 AND end_year = 2021"
        ).fetchall()
    assert len(rows) == 19
    for _sic, actual, national, mix, local in rows:
        assert national + mix + local == pytest.approx(actual, abs=1e-9)
    total = next(r for r in rows if r[0] == "Total")
    assert total[1] == 490.0
    uk0 = sum(_v(r, 2011) for r in current_csv if r["SIC07 code"] in INDUSTRIES)
    uk1 = sum(_v(r, 2021) for r in current_csv if r["SIC07 code"] in INDUSTRIES)
    assert total[2] == pytest.approx(2487 * (uk1 / uk0 - 1))  # national growth: base × UK growth


amounts = st.one_of(st.just(0.0), st.floats(0.01, 1e6))  # £ million: nothing, or at least £10,000


@given(
    data=st.lists(st.tuples(amounts, amounts, amounts, amounts), min_size=1, max_size=18),
)
def test_shift_share_components_always_sum_to_the_change(data: list[tuple[float, float, float, float]]) -> None:
    names = [f"I{i}" for i in range(len(data))]
    base = {n: d[0] for n, d in zip(names, data, strict=True)}
    end = {n: d[1] for n, d in zip(names, data, strict=True)}
    uk0 = {n: d[2] for n, d in zip(names, data, strict=True)}
    uk1 = {n: d[3] for n, d in zip(names, data, strict=True)}
    for r in shift_share("R", base, end, uk0, uk1, 2000, 2001):
        scale = max(1.0, abs(r.national_growth), abs(r.industry_mix), abs(r.local), abs(r.actual_change))
        assert r.national_growth + r.industry_mix + r.local == pytest.approx(r.actual_change, abs=1e-9 * scale)
        assert r.actual_change == pytest.approx(r.end_value - r.base_value, abs=1e-9 * scale)


def test_index_of_england() -> None:
    # gross-value-added.csv 2023: Thurrock 40.17, England (TLB) 42.39 → 94.76
    assert index_of(40.17, 42.39) == pytest.approx(94.7629, rel=1e-5)
    with pytest.raises(ValueError):
        index_of(1.0, 0.0)
