"""The written drafts' checks beyond numbers, on drafts the 135M model really wrote (conversations suite, 2026-12-04;
banking answers, 2026-12-07)."""

from __future__ import annotations

from tools.citations import cite_uncited
from tools.draft_checks import adds_nothing, complete_sentences, draft_problem, figures, repeats_itself, unknown_names

FACTS = (
    "Bad:- Your FICO 8 score fell 19 points, from 556 to 537.\n"
    "Bad:- The limit on the credit card with CITRINE FINANCIAL ****9704 was cut from $2,500 to $1,800.\n"
    "Good:- Your FICO 8 score held steady at 685.\n"
    "- Pay your card balances down to bring utilization from 84% to under 10%."
)
LOOP = (
    "To raise your credit score, you should increase your credit utilization ratio. "
    + "You should also increase your credit score by 10 points. " * 3
)


def test_a_faithful_paraphrase_passes_with_its_framing_phrases():
    answer = "Your score fell 19 points, from 556 to 537. Your CITRINE FINANCIAL limit was cut from $2,500 to $1,800."
    assert draft_problem(answer, FACTS) is None
    assert draft_problem(f"Here is what I found. {answer} Hope this helps!", FACTS) is None


def test_a_list_of_plan_steps_is_checked_item_by_item():
    steps = "- Pay your card balances down to bring utilization from 84% to under 10%.\n- Your score fell 19 points."
    assert draft_problem(steps, FACTS) is None


def test_a_draft_that_loops_is_refused_even_when_its_numbers_are_backed():
    assert repeats_itself(LOOP)
    assert draft_problem(LOOP, FACTS) == "the draft repeats itself"
    assert repeats_itself("A credit score is a number that is used to see how much credit you have. " * 2)
    assert not repeats_itself("Your score fell 19 points. Your limit was cut. Pay your card balances down.")


def test_a_creditor_the_facts_never_name_is_refused():
    draft = "Your FICO 8 score fell 19 points, from 556 to 537, and your card with NORTHSTAR CARD was added."
    assert unknown_names(draft, FACTS) == {"NORTHSTAR", "CARD"}
    assert draft_problem(draft, FACTS) == "names not in the trusted text: CARD, NORTHSTAR"


def test_a_sentence_mixing_facts_or_moving_the_wrong_way_is_refused():
    for draft in (
        "Your score fell from 556 to $1,800.",  # numbers of two different facts
        "Your FICO 8 score rose 19 points, from 556 to 537.",  # the fact says fell
        "Your FICO 8 score rose to 685.",  # the fact says it held steady
        "Your score fell 19 points, from 556 to 537. A lawsuit by a company called CreditCorp caused it.",
    ):
        assert draft_problem(draft, FACTS).startswith("no single fact backs"), draft


def test_an_account_tail_or_a_score_model_is_not_a_figure_of_the_report():
    trusted = "Bad:- Your VantageScore 3.0 score fell 261 points, from 641 to 380.\n" + FACTS
    assert figures("Your VantageScore 3.0 score, your CITRINE FINANCIAL ****9704 card.") == set()
    for draft in ("The credit score of 3.0 is a credit score.", "A new card with CITRINE FINANCIAL ****9704."):
        assert draft_problem(draft, trusted) == "the draft states none of the trusted figures"


def test_a_draft_that_copies_the_prompt_is_refused():
    assert draft_problem("<facts> Bad:- Your FICO 8 score fell 19 points, from 556 to 537.", FACTS) == (
        "the draft copies the prompt's markup"
    )


def test_an_unfinished_tail_is_cut_at_the_last_full_sentence_never_inside_an_amount():
    assert complete_sentences("Your score fell to 537. Pay your card down.\n\nYou should") == (
        "Your score fell to 537. Pay your card down."
    )
    assert complete_sentences("Your limit fell from $2,500.00 to $1") == "Your limit fell from $2,500.00 to $1"
    assert complete_sentences("Your limit fell. It went from $2,500.00 to $1") == "Your limit fell."


def test_a_draft_that_only_echoes_the_question_adds_nothing():
    assert adds_nothing("Yes, there is a faster option.", "And is there a faster option?")
    assert adds_nothing("The answer is no.", "can I avoid it?")
    assert adds_nothing("The answer to the question is: [1]", "do u guys notarize documents")
    assert not adds_nothing("Yes: next-day ACH, for $3. [1]", "And is there a faster option?")
    assert not adds_nothing("The overdraft fee is $32 per item. [1]", "whats the fee for an overdraft")


def test_an_uncited_sentence_is_cited_as_the_first_source_that_states_it():
    sources = [["Wires sent online cost $25."], ["Standard ACH transfers arrive in 1 to 3 business days, free."]]
    answer = "An ACH transfer takes 1 to 3 business days. A wire costs $25 online [1]. Cash is king."
    # Each sentence is cited by the source sentence that backs it; one that none backs is not cited by guess.
    question = "How long does an ACH transfer take?"
    assert cite_uncited(answer, sources, question) == (
        "An ACH transfer takes 1 to 3 business days. [2] A wire costs $25 online [1]. Cash is king."
    )
    assert cite_uncited("An ACH transfer takes 2 days.", sources, question) == "An ACH transfer takes 2 days."
    assert cite_uncited("", sources, question) == ""
    # The passage matched the question's words; a sentence that only restates the question is not its statement.
    echo = "You asked how long an ACH transfer takes, standard or not."
    assert cite_uncited(echo, sources, "how long does a standard ACH transfer take") == echo


def test_a_sentence_with_an_abbreviation_keeps_its_one_citation():
    sources = [["The Larkspur Visa debit card lets you withdraw cash at ATMs in the U.S. and abroad."]]
    answer = "The Larkspur Visa debit card lets you withdraw cash at ATMs in the U.S. and abroad. [1]"
    assert cite_uncited(answer, sources, "whats the daily atm withdrawal limit") == answer
