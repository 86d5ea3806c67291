"""Search quality: share of real South Essex place names and postcodes whose right place is in the top 3.

The list below was written from the data files, with the authority each belongs to there:
- parishes: ``ons-places/ap_places.csv`` (E04 rows, ``parentcd`` = the authority);
- wards (May 2025): ``south-essex-boundaries-2021/wards2025/<LAD>.geojson`` (the file's authority);
- neighbourhoods: House of Commons Library MSOA names, ``ons-places/msoa21_names.csv`` (``localauthorityname``);
- towns without a ward or parish of their own: ``ons-places/PROVENANCE.md`` (Leigh-on-Sea, Shoeburyness,
  Benfleet, Hadleigh, Corringham);
- postcodes: the first postcode with coordinates of districts that lie wholly (or, for CM/RM, almost
  wholly) in one authority according to ``postcodes-nspl-latlon/PROVENANCE.md`` — SS0/SS1 Southend-on-Sea,
  SS13–15 Basildon, SS4/SS5 Rochford, SS7/SS8 Castle Point, RM15–RM20 Thurrock, CM14/CM15 Brentwood,
  CM12 Basildon (824 of 827) — written in the ways people type them.

A hit: the first result (postcode) or one of the first three places names the expected authority.
Usage: ``python bench/search_quality.py [--store DIR]`` (default ``$OBSERVATORY_STORE`` or ./var).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from observatory.web.data.search import search_page

BAS, BRE, CAS, ROC, STH, THU = "E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034"
CASES: list[tuple[str, str]] = [
    # towns and villages (parishes in ap_places.csv, wards, BUA 2022 names)
    ("Canvey Island", CAS), ("Grays", THU), ("Billericay", BAS), ("Rayleigh", ROC), ("Wickford", BAS),
    ("Hockley", ROC), ("Hullbridge", ROC), ("Great Wakering", ROC), ("Ashingdon", ROC), ("Canewdon", ROC),
    ("Hawkwell", ROC), ("Rawreth", ROC), ("Paglesham", ROC), ("Stambridge", ROC), ("Foulness", ROC),
    ("Barling Magna", ROC), ("Noak Bridge", BAS), ("Shotgate", BAS), ("Ramsden Bellhouse", BAS),
    ("Little Burstead", BAS), ("Great Burstead and South Green", BAS), ("Bowers Gifford and North Benfleet", BAS),
    ("Doddinghurst", BRE), ("Kelvedon Hatch", BRE), ("Mountnessing", BRE), ("Navestock", BRE),
    ("West Horndon", BRE), ("Herongate and Ingrave", BRE), ("Stondon Massey", BRE), ("Ingatestone", BRE),
    ("Shenfield", BRE), ("Hutton", BRE), ("Tilbury", THU), ("Stanford-le-Hope", THU), ("Chadwell St Mary", THU),
    ("East Tilbury", THU), ("South Ockendon", THU), ("Aveley", THU), ("Orsett", THU), ("Purfleet", THU),
    ("Leigh-on-Sea", STH), ("Shoeburyness", STH), ("Benfleet", CAS), ("Hadleigh", CAS), ("Corringham", THU),
    ("Thundersley", CAS), ("Thorpe Bay", STH), ("Eastwood", STH), ("Prittlewell", STH),
    ("Laindon", BAS), ("Pitsea", BAS), ("Vange", BAS), ("Langdon Hills", BAS),
    # wards (May 2025) and neighbourhoods (Library names), some misspelt or in other case
    ("Canvey Island Winter Gardens", CAS), ("Benfleet North", CAS), ("Kursaal", STH), ("Milton", STH),
    ("St Luke's", STH), ("st lukes", STH), ("Belhus", THU), ("Little Thurrock Blackshots", THU),
    ("Fryerns", BAS), ("Nethermayne", BAS), ("Brentwood North", BRE), ("Warley", BRE),
    ("Sweyne Park and Grange", ROC), ("Downhall & Rawreth", ROC), ("Tarpots", CAS), ("Appleton", CAS),
    ("CANVEY", CAS), ("billericay", BAS), ("Rayliegh", ROC), ("Shoebury", STH),
    # authorities
    ("Basildon", BAS), ("Brentwood", BRE), ("Castle Point", CAS), ("Rochford", ROC), ("Southend", STH),
    ("Thurrock", THU),
    # postcodes, written as people write them
    ("SS0 0AA", STH), ("SS1 1AA", STH), ("ss11aa", STH), ("SS13 1AA", BAS), ("SS14 0AA", BAS), ("ss154aa", BAS),
    ("SS4 1AA", ROC), ("SS5  4AA", ROC), ("SS7 1AA", CAS), ("ss8 0aa", CAS), ("RM15 4AA", THU), ("RM16 1AA", THU),
    ("RM175AA", THU), ("RM18 7AA", THU), ("RM19 1AB", THU), ("RM20 1AF", THU), ("CM14 4AA", BRE),
    ("CM15 0AA", BRE), ("CM12 0AA", BAS),
]  # fmt: skip


def _hit(data: dict[str, object], authority: str) -> bool:
    pc = data.get("postcode")
    if isinstance(pc, dict) and pc.get("found"):
        return pc.get("authority") == authority
    places = data.get("places")
    if isinstance(places, list):
        for p in places[:3]:
            if p.get("authority") == authority or p.get("code") == authority:
                return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", default=os.environ.get("OBSERVATORY_STORE", "var"))
    args = parser.parse_args()
    store = Path(args.store)
    current = (store / "CURRENT").read_text(encoding="utf-8").strip()
    con = duckdb.connect(str(store / "releases" / f"{current}.duckdb"), read_only=True)
    misses: list[str] = []
    times: list[float] = []
    search_page(con.cursor(), "warm-up")  # the first search builds the per-release index: not timed
    for q, authority in CASES:
        cur = con.cursor()
        started = time.perf_counter()
        data = search_page(cur, q)
        times.append(time.perf_counter() - started)
        cur.close()
        if not _hit(data, authority):
            top = [(p["name"], p["authority"]) for p in data["places"][:3]]
            misses.append(f"  {q!r}: expected {authority}; top 3: {top}; postcode: {data.get('postcode')}")
    found = len(CASES) - len(misses)
    times.sort()
    print(f"release {current}: {len(CASES)} queries, found in the top 3: {found}/{len(CASES)} "
          f"({100 * found / len(CASES):.1f}%); search time median {1000 * times[len(times) // 2]:.1f} ms, "
          f"max {1000 * times[-1]:.1f} ms")  # fmt: skip
    if misses:
        print("misses:\n" + "\n".join(misses))
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())
