import json

import pytest

from agent.credit import DRAFT_MAX_TOKENS, check_extraction, checked_answers, extract_facts_many, templated_answer
from agent.credit_summary import summarize_customers, summarize_in_chunks
from agent.runtime.backends import generate_many
from evals.text_metrics import rouge_l
from tests.fakes import scripted_model
from tools.credit_diff import describe_report, diff_reports
from tools.credit_review import credit_review, review_to_dict
from tools.demo_data import demo_customers
from tools.errors import InvalidInputError, UnknownCustomerError
from tools.report_import import import_report
from tools.reports import ReportStore
from tools.validation import MAX_REPORT_BYTES, read_report_file, validate_customer_id


@pytest.fixture
def store(tmp_path):
    store = ReportStore(f"sqlite:///{tmp_path / 'app.db'}")
    for customer_id, name, reports in demo_customers(count=5):
        store.save_customer(customer_id, name, reports)
    store.save_customer("EMPTY", "No Reports", [])
    yield store
    store.close()


def newest_first(index):
    return list(reversed(demo_customers(count=index + 1)[index][2][-2:]))


def test_generate_many_through_a_server_model_keeps_the_order():
    from langchain_core.messages import HumanMessage

    replies = generate_many(scripted_model(["one", "two", "three"]), [[HumanMessage(str(n))] for n in range(3)], 5, 1)
    assert replies == ["one", "two", "three"] and generate_many(scripted_model([]), []) == []


def test_batched_extraction_checks_pairs_and_describes_single_snapshots():
    pair, single = newest_first(0), newest_first(1)[:1]
    truth = [f.line for f in diff_reports(pair[1], pair[0])]
    results = extract_facts_many(scripted_model(["\n".join(truth)]), [pair, single])
    assert [f.line for f in results[0].facts] == truth and results[0].source == "extractor"
    assert results[1].facts == describe_report(single[0]) and results[1].source == "diff"


def test_batched_answers_retry_ungrounded_drafts_then_use_the_template():
    facts = check_extraction("", diff_reports(*reversed(newest_first(0)))).facts
    score = facts[0].text.split()[-1].rstrip(".")
    jobs = [(facts, [], "q"), (facts, [], "q")]
    model = scripted_model([f"Your score is {score}.", "It is 999999.", "Still 999999."])
    answers = checked_answers(model, jobs, concurrency=1)  # one at a time: the scripted replies keep their order
    assert answers[0] == f"Your score is {score}." and answers[1] == templated_answer(facts, [])


def test_summaries_get_more_tokens_than_a_chat_answer(store, monkeypatch):
    import agent.credit
    from agent.credit_summary import SUMMARY_MAX_TOKENS

    caps = []

    def recording(model, conversations, max_tokens=None, concurrency=8):
        caps.append(max_tokens)
        return generate_many(model, conversations, max_tokens, concurrency)

    monkeypatch.setattr(agent.credit, "generate_many", recording)
    truth = "\n".join(f.line for f in diff_reports(*reversed(newest_first(0))))
    summarize_customers(store, scripted_model([truth]), scripted_model(["No figures."] * 2), ["C0001"])
    summary_caps = set(caps[1:])  # the first call is the extractor's
    caps.clear()
    checked_answers(scripted_model(["No figures."] * 2), [([], [], "q")], concurrency=1)
    assert summary_caps == {SUMMARY_MAX_TOKENS} and set(caps) == {DRAFT_MAX_TOKENS}
    assert SUMMARY_MAX_TOKENS > DRAFT_MAX_TOKENS


def test_a_one_point_change_is_not_called_points():
    facts = check_extraction("", diff_reports(*reversed(newest_first(2)))).facts
    assert "fell 1 point," in facts[0].text
    [answer] = checked_answers(
        scripted_model(["Your score went from 724 to 723: it fell 1 points."]), [(facts, [], "q")]
    )
    assert answer == "Your score went from 724 to 723: it fell 1 point."


def test_summaries_keep_the_order_and_flag_customers_without_reports(store):
    truth = "\n".join(f.line for f in diff_reports(*reversed(newest_first(1))))
    extractor = scripted_model([truth, truth])
    synthesizer = scripted_model(["A summary without figures."] * 4)
    summaries = summarize_customers(store, extractor, synthesizer, ["C0002", "EMPTY", "C0002"])
    assert [s["customer_id"] for s in summaries] == ["C0002", "EMPTY", "C0002"]
    facts = summaries[0]["facts"]
    assert "error" in summaries[1] and len(facts) == len(truth.splitlines())
    assert all(f.startswith(("Good:- ", "Bad:- ")) and "your" not in f.lower() for f in facts)  # for the analyst
    # No figures: the template, turned for the analyst who reads it.
    assert summaries[0]["summary"].startswith("Here is what the customer's credit report shows.")


def test_unknown_ids_fail_before_any_model_runs(store):
    with pytest.raises(UnknownCustomerError):
        list(summarize_in_chunks(store, scripted_model([]), scripted_model([]), ["C0001", "C9999"], chunk=1))


def test_a_three_snapshot_customer_is_summarized_from_the_two_latest(store):
    *_, older, newer = demo_customers(count=5)[4][2]
    truth = "\n".join(f.line for f in diff_reports(older, newer))
    [summary] = summarize_customers(store, scripted_model([truth]), scripted_model(["x", "y"]), ["C0005"])
    assert summary["report_dates"] == [newer.report_date.isoformat(), older.report_date.isoformat()]


def test_an_invalid_report_for_a_new_customer_creates_nothing(store):
    report = json.loads(demo_customers(count=1)[0][2][0].model_dump_json())
    with pytest.raises(InvalidInputError, match="score_model"):
        import_report(store, "N0001", report | {"score_model": "FICO 99"}, new_name="Nina")
    assert store.get_customer("N0001") is None
    import_report(store, "N0001", report, new_name="Nina")
    assert store.get_customer("N0001").reports == 1


def test_report_files_are_bounded_utf8_files(tmp_path):
    with pytest.raises(InvalidInputError, match="no file"):
        read_report_file(tmp_path / "missing.json")
    with pytest.raises(InvalidInputError, match="Cannot read"):
        read_report_file(tmp_path)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (MAX_REPORT_BYTES + 1))
    with pytest.raises(InvalidInputError, match="over"):
        read_report_file(huge)
    latin = tmp_path / "latin.json"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="UTF-8"):
        read_report_file(latin)
    with pytest.raises(InvalidInputError, match="customer id"):
        validate_customer_id("../etc")


def test_rouge_l():
    assert rouge_l("the score rose", "the score rose") == 1.0
    assert rouge_l("", "x") == 0.0 and rouge_l("a b", "c d") == 0.0
    # LCS "the score" (2 words): precision 2/3, recall 2/4.
    assert rouge_l("the score fell", "the new score rose") == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_an_analysts_review_reads_about_the_customer_and_the_customers_own_review_speaks_to_them(store):
    review = credit_review(store, "C0001")
    own, analysts = review_to_dict("C0001", review), review_to_dict("C0001", review, for_analyst=True)
    assert any(line.startswith("Good:- Your ") or line.startswith("Bad:- Your ") for line in own["facts"])
    assert own["facts"][0].split(":- ", 1)[1].startswith("Your ")  # the diff's first fact is the score
    assert analysts["facts"][0].split(":- ", 1)[1].startswith("The customer's ")
    assert not any("your" in line.lower() for line in analysts["facts"] + analysts["plan"])
    assert len(analysts["facts"]) == len(own["facts"]) and len(analysts["plan"]) == len(own["plan"])
