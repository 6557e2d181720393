"""An abstention on the real selector still names the policy section closest to the question, as its source."""

from evals.answer_checks import abstained


def test_a_terse_question_no_sentence_answers_gets_the_section_that_holds_it(assistant):
    result = assistant.ask("wire cutoff")
    assert result.route == "banking" and "abstained" in result.output_check
    # Still an abstention (no figure, the contact channel), but the customer is pointed at the section to read.
    assert abstained(result.answer) and '"Cut-off times" in "Wire Transfers' in result.answer
    (source,) = result.sources
    assert source["id"] == "wire-transfers" and "4:00 p.m. Eastern Time" in source["snippet"]
