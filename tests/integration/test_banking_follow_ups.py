"""Banking follow-ups on the real guard, retriever and selector: a new sentence, or the answer just read."""

from agent import prompts


def test_a_follow_up_about_the_answer_just_read_gets_it_again(assistant):
    first = assistant.ask("How long does an ACH transfer take?")
    assert "1 to 3 business days" in first.answer and "$3" in first.answer
    # Only next-day ACH, just read, is faster: not the international wire's time, which ranks next.
    faster = assistant.ask("And is there a faster option?", thread_id=first.thread_id)
    assert faster.route == "banking" and "next-day ACH" in faster.answer.replace("Next-day", "next-day")
    assert "international wire" not in faster.answer
    # Said again, so it says so, and where to ask for more, rather than reading as if the question went unheard.
    assert faster.answer.startswith("As I said: ") and faster.answer.endswith(prompts.MORE_HELP)


def test_a_follow_up_that_names_something_new_gets_new_sentences(assistant):
    first = assistant.ask("How long does an ACH transfer take?")
    wires = assistant.ask("What about wires?", thread_id=first.thread_id)
    assert wires.route == "banking" and "wire" in wires.answer and "next-day" not in wires.answer.lower()


def test_a_follow_up_asking_for_another_figure_keeps_the_subject_not_the_figure(assistant):
    # Read with "the fee for", "how long does that take?" used to quote the domestic wire's fee.
    first = assistant.ask("What's the fee for an international wire?")
    assert "$45" in first.answer
    timing = assistant.ask("how long does that take?", thread_id=first.thread_id)
    assert timing.route == "banking" and "1 to 3 business days" in timing.answer
    assert "$25" not in timing.answer


def test_a_hurried_follow_up_after_the_cut_off_asks_for_its_own_figure(assistant):
    # Read with "cut off time for same day?" whole, it got the cut-offs just read again.
    first = assistant.ask("wire fee??")
    cut_off = assistant.ask("cut off time for same day?", thread_id=first.thread_id)
    assert "4:00 p.m." in cut_off.answer
    days = assistant.ask("intenational one how amny days", thread_id=first.thread_id)
    assert days.route == "banking" and "1 to 3 business days" in days.answer
    assert "p.m." not in days.answer
