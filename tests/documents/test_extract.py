"""Extraction of every supported format: the text, page numbers, sections and encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents import DocumentError, extract, prepare_attachment
from tests.documents.make_docs import FACT_EN, FACT_ZH, write_docx, write_pdf


def test_pdf_pages_carry_their_numbers_and_text(english_pdf: Path) -> None:
    doc = extract(english_pdf)
    assert (doc.kind, doc.page_count, len(doc.pages)) == ("pdf", 60, 60)
    assert [p.number for p in doc.pages] == list(range(1, 61))
    assert doc.pages[36].label == "p. 37"
    assert [p.number for p in doc.pages if FACT_EN in p.text] == [37]
    for page in doc.pages:
        assert page.text.rstrip().endswith(f"— {page.number} —")  # each page's own footer
    assert doc.size == english_pdf.stat().st_size and len(doc.sha256) == 64


def test_chinese_pdf_through_a_type0_font(chinese_pdf: Path) -> None:
    doc = extract(chinese_pdf)
    assert [p.number for p in doc.pages if FACT_ZH in p.text] == [37]
    assert "春天的河水" in doc.text or "山上的松树" in doc.text


def test_pages_without_text_are_skipped_but_keep_the_numbering(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "gaps.pdf", [["first page"], None, ["third page"]], image_pages=[2])
    doc = extract(path)
    assert [(p.number, p.text) for p in doc.pages] == [(1, "first page"), (3, "third page")]
    assert doc.page_count == 3
    assert doc.warnings == ("Page 2 has only images (no text layer); their content is left out.",)


def test_progress_is_reported_per_page_and_can_cancel(english_pdf: Path) -> None:
    seen: list[float] = []
    extract(english_pdf, progress=seen.append)
    assert len(seen) == 61 and seen == sorted(seen) and seen[-1] == 1.0
    assert seen[0] == pytest.approx(1 / 60)

    class Stop(Exception):
        pass

    def stop_at_ten(fraction: float) -> None:
        if fraction >= 10 / 60:
            raise Stop

    with pytest.raises(Stop):
        extract(english_pdf, progress=stop_at_ten)

    prepared_progress: list[float] = []
    prepared = prepare_attachment(english_pdf, progress=prepared_progress.append)
    assert prepared_progress[-1] == 1.0 and max(prepared_progress[:-1]) <= 0.9
    assert prepared.chunks and prepared.document.page_count == 60


def test_docx_headings_become_sections_and_tables_rows(tmp_path: Path) -> None:
    doc = extract(write_docx(tmp_path / "annual.docx"))
    assert doc.kind == "docx" and doc.page_count is None
    assert [p.label for p in doc.pages] == ["§ Annual Report", "§ Introduction", "§ Finances", "§ Outlook"]
    assert all(p.number is None for p in doc.pages)
    # The table stays where it was, after the paragraph before it, one line per row.
    assert doc.pages[2].text.splitlines() == [
        "Finances",
        "Income rose while costs stayed flat.",
        "Quarter | Income | Costs",
        "Q1 | 120 | 80",
        "Q2 | 150 | 82",
    ]
    assert doc.pages[3].text == "Outlook\nA second pier opens in spring; 中文段落也能提取。"


def test_html_text_without_scripts_with_sections(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Help</title><style>p {color: red}</style>"
        '<meta charset="utf-8"></head><body><p>Welcome &amp; hello</p>'
        "<script>var secret = 1;</script><h2>Install</h2><ul><li>Download</li><li>Run</li></ul>"
        "<table><tr><th>OS</th><th>File</th></tr><tr><td>Linux</td><td>qwendesk.tar</td></tr></table>"
        "<pre>  indented\n  code</pre><h2>使用</h2><p>打开 <b>窗口</b>。</p></body></html>",
        encoding="utf-8",
    )
    doc = extract(path)
    assert doc.kind == "html"
    assert [p.label for p in doc.pages] == ["", "§ Install", "§ 使用"]
    assert doc.pages[0].text == "Welcome & hello"
    assert (
        doc.pages[1].text
        == "Install\n\n- Download\n- Run\n\nOS | File\nLinux | qwendesk.tar\n\n  indented\n  code"
    )
    assert doc.pages[2].text == "使用\n\n打开 窗口。"
    assert "secret" not in doc.text and "color" not in doc.text


def test_html_declared_gbk(tmp_path: Path) -> None:
    path = tmp_path / "gbk.htm"
    path.write_bytes(
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><p>简体中文网页</p>'.encode(
            "gbk"
        )
    )
    assert extract(path).text == "简体中文网页"


def test_markdown_sections_ignore_headings_in_code(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "Intro line.\n\n# Setup\nRun it.\n```sh\n# not a heading\n```\n## Usage ##\nType.\n", "utf-8"
    )
    doc = extract(path)
    assert [(p.label, p.text) for p in doc.pages] == [
        ("", "Intro line."),
        ("§ Setup", "# Setup\nRun it.\n```sh\n# not a heading\n```"),
        ("§ Usage", "## Usage ##\nType."),
    ]


ZH = "量子计算机利用量子比特的叠加态进行运算。\n第二行：English words too.\n"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", ZH.encode("utf-8")),
        ("utf-8", b"\xef\xbb\xbf" + ZH.encode("utf-8")),  # with a BOM
        ("utf-16", ZH.encode("utf-16")),  # Notepad's "Unicode": BOM + little-endian
        ("utf-16", ZH.encode("utf-16-be") and b"\xfe\xff" + ZH.encode("utf-16-be")),
        ("utf-16-le", ZH.encode("utf-16-le")),  # no BOM
        ("utf-16-be", ZH.encode("utf-16-be")),
        ("gb18030", ZH.encode("gbk")),
        ("gb18030", ZH.encode("gb18030")),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoding: str, data: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    doc = extract(path)
    assert doc.text == ZH
    assert doc.encoding == encoding
    assert doc.kind == "text"


def test_latin1_is_not_taken_for_gbk(tmp_path: Path) -> None:
    path = tmp_path / "cv.txt"
    path.write_bytes("Résumé of a café owner, naïve and façade.".encode("latin-1"))
    doc = extract(path)
    assert doc.text == "Résumé of a café owner, naïve and façade."
    assert doc.encoding == "cp1252"


def test_traditional_chinese_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes("繁體中文的測試文字，這是一個例子。".encode("gbk"))
    assert extract(path).text == "繁體中文的測試文字，這是一個例子。"


def test_csv_code_and_extensionless_text(tmp_path: Path) -> None:
    (tmp_path / "table.csv").write_text("name,age\nAda,36\n", "utf-8")
    (tmp_path / "main.py").write_text("def main():\n    return 42\n", "utf-8")
    (tmp_path / "Makefile").write_text("all:\n\techo hi\n", "utf-8")
    (tmp_path / "NOTES").write_text("plain words without an extension\n", "utf-8")
    assert extract(tmp_path / "table.csv").kind == "csv"
    code = extract(tmp_path / "main.py")
    assert (code.kind, code.text) == ("code", "def main():\n    return 42\n")
    assert extract(tmp_path / "Makefile").text == "all:\n\techo hi\n"
    assert extract(tmp_path / "NOTES").kind == "text"


def test_an_unknown_extension_is_read_by_its_content(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "scan.bin", [["inside a pdf"]])
    assert extract(pdf).kind == "pdf"
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DocumentError) as err:
        extract(blob)
    assert err.value.kind == "unsupported" and "data.bin" in err.value.message


def test_docx_merged_cells_and_custom_heading_styles(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    style = document.styles.add_style("Chapter", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Heading 1"]
    document.add_paragraph("Before any heading.")
    document.add_paragraph("My Chapter", style="Chapter")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Spans three columns"
    for c, value in enumerate(("a", "b", "c")):
        table.cell(1, c).text = value
    path = tmp_path / "custom.docx"
    document.save(str(path))
    doc = extract(path)
    assert [(p.label, p.text) for p in doc.pages] == [
        ("", "Before any heading."),
        ("§ My Chapter", "My Chapter\nSpans three columns\na | b | c"),
    ]


def test_cut_off_text_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(ZH.encode("utf-16-le")[:-1])  # half a code unit at the end
    assert extract(path).text == ZH[:-1] + "\ufffd"
    path.write_bytes(ZH.encode("utf-8")[:5])  # "量" and two bytes of "子"
    doc = extract(path)
    assert (doc.text, doc.encoding) == ("量\ufffd", "utf-8")


def test_extraction_runs_in_worker_threads(english_pdf: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    docx_path = write_docx(tmp_path / "w.docx")
    with ThreadPoolExecutor(max_workers=2) as pool:
        pdf_job = pool.submit(prepare_attachment, english_pdf)
        docx_job = pool.submit(prepare_attachment, docx_path)
        assert pdf_job.result().document.page_count == 60
        assert docx_job.result().document.kind == "docx"
