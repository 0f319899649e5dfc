"""Sentences and chunks are exact slices of the document, and chunk ids are stable."""

from __future__ import annotations

from assistant.indexing.chunking import chunk_document, make_splitter
from assistant.indexing.corpus import discover, read
from assistant.text.sentences import split_sentences

from .conftest import SEEDS


def _docs():
    return [read(s) for s in discover([SEEDS])]


def test_every_sentence_is_an_exact_slice() -> None:
    for doc in _docs():
        spans = split_sentences(doc.text)
        assert len(spans) > 20
        for span in spans:
            assert doc.text[span.start : span.end] == span.text


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Both sides talk to U.S. President Donald Trump. Then Mr. Smith left."
    assert [s.text for s in split_sentences(text)] == [
        "Both sides talk to U.S. President Donald Trump.",
        "Then Mr. Smith left.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "He said it was “not serious.” Later he left."
    assert [s.text for s in split_sentences(text)] == ["He said it was “not serious.”", "Later he left."]


def test_chunks_are_exact_slices_and_cover_the_document() -> None:
    splitter = make_splitter(500, 100)
    for doc in _docs():
        chunks = chunk_document(doc, splitter)
        assert all(doc.text[c.start : c.end] == c.text for c in chunks)
        assert all(len(c.text) <= 500 for c in chunks)
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        letters = {i for i, ch in enumerate(doc.text) if not ch.isspace()}
        assert letters <= covered


def test_chunks_break_at_sentence_ends() -> None:
    """A chunk ends where a sentence ends, unless that one sentence is longer than a chunk."""
    splitter = make_splitter(300, 0)
    for doc in _docs():
        spans = split_sentences(doc.text)
        ends = {s.end for s in spans}
        for c in chunk_document(doc, splitter):
            if c.end not in ends:
                containing = next(s for s in spans if s.start < c.end <= s.end)
                assert len(containing.text) > 300, (c.chunk_id, c.text[-60:])
            assert c.start == 0 or not doc.text[c.start - 1].isalnum()


def test_chunk_ids_are_stable_and_content_derived() -> None:
    splitter = make_splitter(500, 100)
    doc = _docs()[0]
    first = [c.chunk_id for c in chunk_document(doc, splitter)]
    again = [c.chunk_id for c in chunk_document(doc, splitter)]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(cid.startswith(doc.doc_id + "#") for cid in first)


def test_a_documents_sentences_are_the_split_ones_held_as_offsets() -> None:
    """Sentences (what answering reads a document's sentences from) are exactly the spans of
    split_sentences, and those overlapping a passage are the ones a scan would find."""
    import random
    import tracemalloc

    from assistant.text.sentences import Sentences, split_sentences

    rng = random.Random(7)
    pieces = ["The U.S. envoy arrived.", "“Talks start. Now,” he said.", "Mr. Smith left!", "\n\n", "\n", "  "]
    for _ in range(300):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        spans = split_sentences(text)
        held = Sentences(text)
        assert list(held) == spans and len(held) == len(spans) and (not spans or held[-1] == spans[-1])
        for _ in range(10):
            start = rng.randint(-3, len(text) + 3)
            end = rng.randint(start, len(text) + 5)
            assert list(held.overlapping(start, end)) == [
                i for i, s in enumerate(spans) if s.end > start and s.start < end
            ]
    long_text = "The envoy met the minister in the city. " * 100_000  # 100,000 sentences, 4 MB
    tracemalloc.start()
    held = Sentences(long_text)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(held) == 100_000 and size < 20 * len(held)  # as Span objects: ~200 bytes each
