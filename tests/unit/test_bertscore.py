"""BERTScore on the real local MiniLM (a pip package: offline, about a second to load)."""

import pytest

from evals.bertscore import DESCRIPTION, bertscore_f1

REFERENCE = "An outgoing domestic wire transfer costs $25."


def test_a_paraphrase_scores_higher_than_an_unrelated_sentence():
    paraphrase, unrelated = bertscore_f1(
        ["Sending a wire within the country has a $25 fee.", "The museum opens at nine on Sundays."],
        [REFERENCE, REFERENCE],
    )
    assert paraphrase > unrelated + 0.2, (paraphrase, unrelated)


def test_identical_text_scores_one():
    assert bertscore_f1([REFERENCE], [REFERENCE]) == [pytest.approx(1.0, abs=1e-4)]


def test_an_empty_candidate_or_reference_scores_zero_and_the_rest_are_scored():
    scores = bertscore_f1(["", "  ", REFERENCE, REFERENCE], [REFERENCE, REFERENCE, "", REFERENCE])
    assert scores[:3] == [0.0, 0.0, 0.0] and scores[3] == pytest.approx(1.0, abs=1e-4)
    assert bertscore_f1([], []) == []


def test_mismatched_lists_are_refused():
    with pytest.raises(ValueError, match="2 candidates for 1 references"):
        bertscore_f1(["a", "b"], ["a"])


def test_the_report_line_names_the_model_layer_and_scale():
    assert "all-MiniLM-L6-v2" in DESCRIPTION and "layer 6" in DESCRIPTION and "rescaled: no" in DESCRIPTION
