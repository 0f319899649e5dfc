"""Reading every supported format, metadata, and clear errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import DocumentError
from assistant.indexing.corpus import Source, discover, read
from assistant.indexing.ingest import ingest
from assistant.settings import Settings

from .conftest import DOC_A, DOC_B, ROOT, SEEDS


def minimal_pdf(lines: list[str], title: str = "") -> bytes:
    """A one-page PDF with real text objects, written by hand so no extra library is needed."""
    ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>".encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_seed_ids_are_file_names_and_text_is_byte_exact() -> None:
    sources = list(discover([SEEDS]))
    assert [s.doc_id for s in sources] == [DOC_A, DOC_B]
    for source in sources:
        assert read(source).text.encode("utf-8") == source.path.read_bytes()


def test_headline_first_line_becomes_title() -> None:
    docs = {s.doc_id: read(s) for s in discover([SEEDS])}
    assert docs[DOC_B].title == "EXPLAINED: What to Know About the First Ukraine-Russia Peace Talks Since 2022"
    assert docs[DOC_A].title is None  # its first line is a sentence, not a headline


def test_sidecar_metadata(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("Talks open in Istanbul.\nDelegations met on Thursday.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text(
        '{"title": "Talks open", "outlet": "Kyiv Post", "date": "2025-05-15", "url": "https://example.org/a", "x": 1}'
    )
    meta = read(Source(doc, "a.txt")).metadata
    assert meta == {"title": "Talks open", "outlet": "Kyiv Post", "date": "2025-05-15", "url": "https://example.org/a"}
    assert [s.doc_id for s in discover([tmp_path])] == ["a.txt"]  # the sidecar is not a document


def test_markdown_html_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "m.md").write_text("# Istanbul talks\n\nMedinsky leads the delegation.\n", encoding="utf-8")
    (tmp_path / "h.html").write_text(
        "<html><head><title>Page title</title><script>alert(1)</script></head>"
        "<body><h1>Heading</h1><p>Umerov leads the <b>Ukrainian</b> delegation.</p></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "p.pdf").write_bytes(minimal_pdf(["Fomin is a deputy defense minister."], title="PDF title"))
    docs = {s.doc_id: read(s) for s in discover([tmp_path])}
    assert "Medinsky leads the delegation." in docs["m.md"].text
    assert docs["h.html"].title == "Page title"
    assert "Umerov leads the" in docs["h.html"].text and "alert" not in docs["h.html"].text
    assert "Fomin is a deputy defense minister." in docs["p.pdf"].text
    assert docs["p.pdf"].title == "PDF title"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("latin1.txt", "Erdo\u011fan caf\u00e9".encode("cp1254"), "not valid UTF-8"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("empty.md", b"   \n", "no text"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    ],
)
def test_broken_documents_get_a_clear_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        read(Source(path, name))
    assert info.value.doc_id == name
    assert reason in info.value.reason


def test_ingest_reports_broken_files_and_indexes_the_rest(tmp_path: Path, corpus_copy: Path) -> None:
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus_copy / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf8")
    report = ingest(Settings(index_dir=tmp_path / "index", corpus_dir=corpus_copy), progress=False)
    assert sorted(report.added) == [DOC_A, DOC_B]
    assert sorted(e.doc_id for e in report.failed) == ["bad.txt", "broken.pdf"]


def test_seeds_match_the_shared_corpus_byte_for_byte() -> None:
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    ours = sorted(p.name for p in SEEDS.iterdir() if p.is_file())
    assert ours == sorted(p.name for p in shared.iterdir() if p.is_file())
    for name in ours:
        assert (SEEDS / name).read_bytes() == (shared / name).read_bytes()


# ---------------------------------------------------------------- files that must not stop or fool an ingest


def test_a_file_name_that_is_not_utf8_is_named_and_skipped(tmp_path: Path, corpus_copy: Path) -> None:
    import os

    os.close(os.open(bytes(corpus_copy) + b"/bad-\xff-name.txt", os.O_CREAT | os.O_WRONLY))
    with open(bytes(corpus_copy) + b"/bad-\xff-name.txt", "wb") as f:
        f.write(b"Some text about a river.")
    report = ingest(Settings(index_dir=tmp_path / "idx", corpus_dir=corpus_copy), progress=False)
    assert len(report.added) == 2
    assert [(e.doc_id, e.reason) for e in report.failed] == [
        ("bad-\\xff-name.txt", "its file name is not valid UTF-8; rename it to index it")
    ]


def test_links_that_loop_or_leave_the_corpus_are_reported_not_followed(tmp_path: Path, corpus_copy: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("The launch code is 0000.")
    (corpus_copy / "passwd.txt").symlink_to(outside)
    (corpus_copy / "loop").symlink_to(corpus_copy)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "private.txt").write_text("Not part of the corpus.")
    (corpus_copy / "elsewhere").symlink_to(tmp_path / "other")
    sources = list(discover([corpus_copy]))
    errors = {e.doc_id: e.reason for e in sources if isinstance(e, DocumentError)}
    assert errors == {
        "loop/": "is a symbolic link loop; not followed",
        "elsewhere/": "links outside the corpus folder; not followed",
        "passwd.txt": "is a link to a file outside the corpus folder; skipped",
    }
    assert sorted(s.doc_id for s in sources if isinstance(s, Source)) == sorted(p.name for p in SEEDS.glob("*.txt"))
    allowed = {s.doc_id for s in discover([corpus_copy], follow_outside_links=True) if isinstance(s, Source)}
    assert "passwd.txt" in allowed


def test_nul_bytes_anywhere_mark_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    path.write_bytes(b"a" * 10_000 + b"\x00" + b"b" * 10)
    with pytest.raises(DocumentError, match="looks like a binary file"):
        read(Source(path, "late.txt"))
