from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from tools.credit import CreditReport
from tools.credit_diff import diff_reports
from tools.credit_plan import score_improvement_plan
from tools.demo_data import demo_customers
from tools.grounding import grounding_problem, numbers_in


def report(**changes) -> CreditReport:
    base = {
        "bureau": "Experian",
        "report_date": date(2026, 3, 15),
        "score": 700,
        "score_model": "FICO 8",
        "personal": {"name": "Test P.", "ssn_last4": "1234", "birth_year": 1980, "address": "Austin, TX"},
        "tradelines": [
            {
                "id": "T0",
                "kind": "credit_card",
                "creditor": "NORTHSTAR CARD ****1111",
                "opened": date(2015, 1, 1),
                "credit_limit": 10_000,
                "balance": 5_000,
                "status": "open",
                "payment_history": ["OK"] * 24,
            },
        ],
        "inquiries": [],
        "collections": [],
    }
    base.update(changes)
    return CreditReport.model_validate(base)


def later(old: CreditReport, **changes) -> CreditReport:
    data = old.model_dump()
    data.update({"report_date": date(2026, 9, 15), **changes})
    return CreditReport.model_validate(data)


def card(**changes):
    line = report().tradelines[0].model_dump()
    line.update(changes)
    return line


def lines(facts):
    return [f.line for f in facts]


def test_score_and_utilization_changes_are_facts_with_their_numbers():
    old = report()
    new = later(old, score=725, tradelines=[card(balance=2_000)])
    assert lines(diff_reports(old, new)) == [
        "Good:- Your FICO 8 score rose 25 points, from 700 to 725.",
        "Good:- Your credit card utilization fell from 50% to 20%.",
        "Good:- The balance on the credit card with NORTHSTAR CARD ****1111 fell by $3,000 to $2,000.",
    ]


def test_new_late_payment_inquiry_collection_and_account_are_bad_facts():
    old = report()
    new = later(
        old,
        tradelines=[
            card(payment_history=["OK", "30"] + ["OK"] * 22),
            card(id="T9", creditor="BLUEWAVE CREDIT ****2222", opened=date(2026, 7, 1), balance=0),
        ],
        inquiries=[{"date": date(2026, 7, 1), "creditor": "BLUEWAVE CREDIT"}],
        collections=[
            {
                "id": "K0",
                "agency": "MIDLAND CREDIT",
                "original_creditor": "CITY UTILITIES",
                "amount": 420,
                "reported": date(2026, 8, 1),
                "status": "unpaid",
            }
        ],
    )
    facts = lines(diff_reports(old, new))
    assert "Bad:- A 30-day late payment was reported on the credit card with NORTHSTAR CARD ****1111." in facts
    assert "Bad:- A new account was opened: the credit card with BLUEWAVE CREDIT ****2222 on 2026-07-01." in facts
    assert "Bad:- A hard inquiry from BLUEWAVE CREDIT was added on 2026-07-01." in facts
    assert any(f.startswith("Bad:- A new collection was reported: the $420 collection") for f in facts)


def test_closed_card_limit_change_and_paid_collection():
    collection = {
        "id": "K0",
        "agency": "MIDLAND CREDIT",
        "original_creditor": "CITY UTILITIES",
        "amount": 420,
        "reported": date(2026, 1, 1),
        "status": "unpaid",
    }
    old = report(tradelines=[card(), card(id="T1", creditor="CITRINE ****3333")], collections=[collection])
    new = later(
        old,
        tradelines=[card(credit_limit=15_000), card(id="T1", creditor="CITRINE ****3333", status="closed", balance=0)],
        collections=[{**collection, "status": "paid"}],
    )
    facts = lines(diff_reports(old, new))
    assert "Good:- The limit on the credit card with NORTHSTAR CARD ****1111 rose from $10,000 to $15,000." in facts
    assert "Bad:- The credit card with CITRINE ****3333 was closed, which lowers your available credit." in facts
    assert any(f.startswith("Good:- You paid the $420 collection") for f in facts)


def test_unchanged_reports_only_say_the_score_held():
    old = report()
    assert lines(diff_reports(old, later(old))) == ["Good:- Your FICO 8 score held steady at 700."]


def test_plan_targets_collections_then_utilization_with_amounts():
    current = report(
        collections=[
            {
                "id": "K0",
                "agency": "MIDLAND CREDIT",
                "original_creditor": "X",
                "amount": 420,
                "reported": date(2026, 1, 1),
                "status": "unpaid",
            }
        ]
    )
    steps = score_improvement_plan(current)
    assert [s.factor for s in steps][:2] == ["collections", "utilization"]
    # 50% of $10,000 down to 30% means paying $2,000.
    assert "Pay your card balances down by $2,000" in steps[1].action


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score_model": "FICO 99"}, "score_model"),
        ({"score": 900}, "score"),
        ({"report_date": date.today() + timedelta(days=3)}, "report_date"),
        ({"tradelines": [card(balance=-5)]}, "balance"),
        ({"bureau": None}, "bureau"),
    ],
)
def test_invalid_reports_are_refused_naming_the_field(change, field):
    with pytest.raises(ValidationError, match=field):
        report(**change)


def test_demo_customers_are_deterministic_and_consistent():
    first, second = demo_customers(count=50), demo_customers(count=50)
    assert first == second
    assert len(first) == 50 and first[0][0] == "C0001" and first[0][1].startswith("Alice")
    assert {len(reports) for _, _, reports in first} == {2, 3}
    for _, _, reports in first:
        assert [r.report_date for r in reports] == sorted({r.report_date for r in reports})
        assert all(300 <= r.score <= 850 for r in reports)


def test_grounding_flags_invented_and_missing_numbers():
    trusted = "Good:- Your FICO 8 score rose 25 points, from 700 to 725."
    assert grounding_problem("Your score rose 25 points to 725!", trusted) is None
    assert "730" in grounding_problem("Your score rose to 730.", trusted)
    assert grounding_problem("Your credit looks healthy.", trusted) == "the answer states none of the trusted figures"
    assert grounding_problem("  ", trusted) == "the answer is empty"
    assert numbers_in("$1,991 and 57% on 2026-08-02") == {"1991", "57", "2026", "8", "2"}
