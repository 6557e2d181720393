"""A credit question that takes the score's move the wrong way is told how it really moved, first."""

import pytest

from agent.credit_premise import premise_correction, with_correction
from tests.unit.test_credit import report
from tests.unit.test_credit_questions import REPORT_ANSWER, credit_assistant

OLD = report(score=700)


@pytest.mark.parametrize(
    ("question", "new_score", "said"),
    [
        ("why did it drop?", 709, "Your FICO 8 score didn't drop: it rose 9 points, from 700 to 709."),
        ("why did my score go down so much", 700, "Your FICO 8 score didn't drop: it held steady at 700."),
        ("what made my score jump?", 699, "Your FICO 8 score didn't go up: it fell 1 point, from 700 to 699."),
        ("why did my score drop?", 690, ""),  # it did
        ("did my score go up or down?", 690, ""),  # nothing taken for granted
        ("how can I improve my score?", 690, ""),
        # Asked about ahead, not said to have happened.
        ("how can I increase my credit score?", 690, ""),
        ("will a hard inquiry drop my score?", 709, ""),
        ("what would lower my score?", 709, ""),
        ("how do I keep my score from dropping?", 709, ""),
        ("how do I get a higher score?", 690, ""),
        ("why is my score so low", 709, ""),  # low is where it is, not a move
        ("why is my score down?", 709, "Your FICO 8 score didn't drop: it rose 9 points, from 700 to 709."),
        ("why did my utilization go up?", 709, ""),  # another figure's move
        (
            "my balance went down, why did my score drop?",
            709,
            "Your FICO 8 score didn't drop: it rose 9 points, from 700 to 709.",
        ),
    ],
)
def test_a_question_that_takes_the_score_move_the_wrong_way_is_told_how_it_moved(question, new_score, said):
    newest_first = [report(score=new_score), OLD]
    assert premise_correction(question, newest_first) == said


def test_one_report_has_no_move_to_correct():
    assert premise_correction("why did my score drop?", [OLD]) == ""


def test_a_sentence_with_only_the_same_digits_is_kept():
    newest_first = [report(score=700), OLD]
    said = with_correction("Your FICO 8 score didn't drop: it held steady at 700.", "Pay $1,700 off.", newest_first)
    assert said.endswith(" Pay $1,700 off.")


def test_the_answer_does_not_state_the_move_again_after_the_correction():
    newest_first = [report(score=709), OLD]
    answer = "Your score went from 700 to 709: it rose 9 points. Pay your card down by $500."
    said = with_correction("Your FICO 8 score didn't drop: it rose 9 points, from 700 to 709.", answer, newest_first)
    assert said == "Your FICO 8 score didn't drop: it rose 9 points, from 700 to 709. Pay your card down by $500."


def test_the_correction_comes_before_the_reports_answer(isolated_settings, tmp_path):
    assistant = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER] * 2)
    new, old = assistant.services.reports.latest_reports("C0002", 2)
    asked = "why did my score go up?" if new.score < old.score else "why did my score drop?"
    result = assistant.ask(asked, customer_id="C0002")
    correction = premise_correction(asked, [new, old])
    assert correction and result.answer.startswith(correction + " ")
    analysts = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER] * 2)
    analyst = analysts.ask(asked, customer_id="C0002", role="analyst")
    assert analyst.answer.startswith(correction.replace("Your ", "The customer's ", 1) + " ")
