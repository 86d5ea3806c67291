"""Evidence links on action progress: only plain http(s) addresses (a reviewer's findings, issue 15)."""

from __future__ import annotations

import pytest

from observatory.officers.progress import evidence_links


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "http:evil",
        "https://user:pass@evil.example/",
        "https://southend.gov.uk@evil.example/",  # looks like a council address, goes to evil.example
    ],
)
def test_links_that_are_not_plain_web_addresses_are_refused(link: str) -> None:
    _links, problem = evidence_links(link)
    assert problem is not None and link[:20] in problem


def test_plain_web_addresses_are_kept() -> None:
    links, problem = evidence_links("https://www.southend.gov.uk/report.pdf\n\nhttp://example.org/a?b=c\n")
    assert problem is None and links == ["https://www.southend.gov.uk/report.pdf", "http://example.org/a?b=c"]
