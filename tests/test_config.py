from pathlib import Path

import pytest

from observatory.config import ConfigError, load_config, parse_config, slugify

GOOD = (Path(__file__).resolve().parents[1] / "observatory.toml").read_text(encoding="utf-8")


def test_repository_config_is_valid() -> None:
    cfg = parse_config(GOOD)
    assert cfg.areas_of_interest == [
        "E07000066",
        "E07000068",
        "E07000069",
        "E07000075",
        "E06000033",
        "E06000034",
    ]
    assert cfg.comparators == ["E92000001", "E12000006", "E10000012", "K02000001"]
    group = cfg.group("south-essex")
    assert group is not None and sorted(group.members) == sorted(cfg.areas_of_interest)
    assert [t.slug for t in cfg.themes if t.programme] == [
        "vibrant-places",
        "enterprise-growth",
        "future-work",
        "data-transformation",
    ]
    assert {s.name for s in cfg.sources} == {
        "ons-els", "ons-boundaries", "ons-geography-lookups", "ons-gva-itl3-by-industry", "imd2019-lsoa",
        "iod-lad-summaries", "essex-small-area-boundaries", "south-essex-boundaries-2021", "ons-geography-lookups-2021",
        "nomis-uk-business-counts", "nomis-aps-employment", "nomis-samples", "dfe-apprenticeships",
        "census2021-origin-destination", "ons-places", "postcodes-nspl-latlon",
    }  # fmt: skip
    assert [n.slug for n in cfg.named_areas] == ["leigh-on-sea", "westcliff-on-sea", "benfleet", "hadleigh-essex",
                                                 "shoeburyness", "corringham"]  # fmt: skip
    assert len(cfg.hash) == 64


def test_hash_follows_content() -> None:
    assert parse_config(GOOD).hash == parse_config(GOOD + "\n# a comment\n").hash
    assert parse_config(GOOD).hash != parse_config(GOOD.replace("keep_releases = 10", "keep_releases = 9")).hash


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('"E07000066", # Basildon', '"Basildon", # Basildon', "areas_of_interest.0"),
        ('format = "ons-els"', 'format = "excel"', "sources.0.format"),
        ("keep_releases = 10", "keep_releases = 0", "deployment.keep_releases"),
        ('slug = "south-essex"', 'slug = "South Essex"', "groups.0.slug"),
        ("keep_releases = 10", "keep_releases = 10\ncolour = 'blue'", "deployment.colour"),
        ('"E92000001", # England', '"E92000001", "E92000001",', "comparators"),
    ],
)
def test_invalid_config_names_the_key(old: str, new: str, key: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(old, new, 1), "test.toml")
    assert str(info.value).startswith(f"test.toml: {key}")


def test_missing_and_unparseable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[deployment\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_slugify() -> None:
    assert slugify("Gross value added per hour worked") == "gross-value-added-per-hour-worked"
    assert slugify("Housing affordability ratio (residence-based)") == "housing-affordability-ratio-residence-based"
    assert slugify("4G coverage") == "4g-coverage"
