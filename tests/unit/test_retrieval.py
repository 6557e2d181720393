import json
from pathlib import Path

import pytest

from agent.settings import PACKAGED_CORPUS, find_external_data_dir
from evals.retrieval import COVERAGE_PATH, load_golden
from retrieval.documents import load_corpus, parse_document
from retrieval.fusion import relative_score_fusion
from retrieval.keyword import KeywordIndex
from retrieval.stores.weaviate import INCOMPLETE, document_versions
from tools.errors import InvalidInputError


def test_fusion_scales_each_side_to_unit_range_then_weighs_by_alpha():
    fused = relative_score_fusion({"a": 0.9, "b": 0.5, "c": 0.1}, {"c": 12.0, "d": 2.0}, alpha=0.75)
    assert fused == pytest.approx({"a": 0.75, "b": 0.375, "c": 0.25, "d": 0.0})


def test_fusion_at_the_extremes_is_one_side_only():
    dense, sparse = {"a": 0.8, "b": 0.2}, {"b": 5.0, "a": 1.0}
    assert max(relative_score_fusion(dense, sparse, 1.0).items(), key=lambda kv: kv[1])[0] == "a"
    assert max(relative_score_fusion(dense, sparse, 0.0).items(), key=lambda kv: kv[1])[0] == "b"
    assert relative_score_fusion({}, {}, 0.5) == {}


def test_keyword_index_stems_and_ignores_stop_words():
    index = KeywordIndex(["The wire transfer fee is $25", "Lost cards are replaced", "ATM fees abroad"])
    assert list(index.top("how much are the fees for wires", 3))[0] == 0
    assert index.top("the and of", 3) == {} and index.top("zzzunknown", 3) == {}
    assert KeywordIndex([]).top("fees", 3) == {}


def test_a_weaviate_document_is_complete_only_with_one_whole_version():
    rows = [("a", "h1", 2), ("a", "h1", 2), ("b", "h1", 2), ("c", "old", 1), ("c", "new", 1)]
    assert document_versions(rows) == {"a": "h1", "b": INCOMPLETE, "c": INCOMPLETE}


def test_the_corpus_has_fifty_consistent_documents():
    documents = load_corpus(PACKAGED_CORPUS)
    assert len(documents) >= 50 and len(documents) == len(list(PACKAGED_CORPUS.glob("*.md")))
    assert len({d.id for d in documents}) == len(documents)
    for path in sorted(PACKAGED_CORPUS.glob("*.md")):
        doc = parse_document(path)
        assert doc.id == path.stem and 200 <= len(doc.body.split()) <= 800, doc.id


def test_the_golden_set_cites_real_documents_and_mixes_kinds():
    questions = load_golden()
    ids = {d.id for d in load_corpus(PACKAGED_CORPUS)}
    assert len(questions) >= 150 and len({q.id for q in questions}) == len(questions)
    assert all(q.question.strip() and q.reference_answer.strip() for q in questions)
    assert all(set(q.reference_doc_ids) <= ids for q in questions)
    kinds = {q.kind for q in questions}
    assert kinds == {"direct", "paraphrase", "multi"}
    assert all(len(q.reference_doc_ids) >= 2 for q in questions if q.kind == "multi")
    assert len({q.reference_doc_ids[0] for q in questions}) >= 50  # every document is asked about


def test_a_malformed_golden_line_is_a_named_error(tmp_path: Path):
    path = tmp_path / "golden.jsonl"
    path.write_text('{"id": "g1", "question": "q"}\n')
    with pytest.raises(InvalidInputError, match="golden.jsonl line 1"):
        load_golden(path)


def test_every_banking77_intent_maps_to_documents_that_exist():
    coverage = json.loads(COVERAGE_PATH.read_text())
    ids = {d.id for d in load_corpus(PACKAGED_CORPUS)}
    assert all(docs and set(docs) <= ids for docs in coverage.values())
    data = find_external_data_dir()
    if data is None:
        pytest.skip("../shared/data is not beside the checkout: cannot compare with BANKING77's intent list")
    assert set(coverage) == set(json.loads((data / "banking77" / "categories.json").read_text()))
