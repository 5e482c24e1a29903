"""README.md and BENCHMARKS.md point only at files and sections that exist (bench results get pruned)."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", "BENCHMARKS.md"]


def read(doc):
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        return f.read()


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def link_targets(text):
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_relative_links_point_at_existing_files():
    files = [t.split("#")[0] for doc in DOCS for t in link_targets(read(doc)) if not re.match(r"[a-z]+:|#", t)]
    assert files
    assert [f for f in files if not os.path.exists(os.path.join(ROOT, f))] == []


def test_every_bench_results_path_exists():
    paths = {p for doc in DOCS for p in re.findall(r"bench/results/[\w./-]*[\w/]", read(doc))}
    assert paths
    assert sorted(p for p in paths if not os.path.exists(os.path.join(ROOT, p))) == []


@pytest.mark.parametrize("doc", DOCS)
def test_section_links_name_a_heading(doc):
    text = read(doc)
    anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    wanted = {t[1:] for t in link_targets(text) if t.startswith("#")}
    assert wanted - anchors == set()
