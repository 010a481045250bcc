"""Generated documents, written once per session (the 60-page PDFs take a moment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents.make_docs import write_fact_pdf


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="session")
def english_pdf(docs_dir: Path) -> Path:
    """60 pages; the launch-code fact on page 37."""
    return write_fact_pdf(docs_dir / "report.pdf")


@pytest.fixture(scope="session")
def chinese_pdf(docs_dir: Path) -> Path:
    """60 pages of Chinese (Type0/Identity-H font); the fact on page 37."""
    return write_fact_pdf(docs_dir / "报告.pdf", chinese=True)
