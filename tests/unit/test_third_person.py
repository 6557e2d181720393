import pytest

from tools.third_person import third_person


@pytest.mark.parametrize(
    ("to_customer", "to_analyst"),
    [
        (
            "Your score fell from 724 to 723. Your card utilization rose.",
            "The customer's score fell from 724 to 723. The customer's card utilization rose.",
        ),
        (
            "The first thing I'd do: pay your card balances down by $6,270.",
            "The first thing I'd do: pay their card balances down by $6,270.",
        ),
        (
            "Good:- Your FICO 8 score rose 40 points, from 558 to 598.",
            "Good:- The customer's FICO 8 score rose 40 points, from 558 to 598.",
        ),
        ("Good:- You paid off the card.", "Good:- The customer paid off the card."),
        ("You have a late payment. You need to pay.", "They have a late payment. They need to pay."),
        ("Thank you. It keeps you safe.", "Thank them. It keeps them safe."),
        ('- Your card (Your oldest) "Your limit"', '- Their card (Their oldest) "Their limit"'),
        ("Yours. Yourself.", "Theirs. Themselves."),
        ("It helps you. If you pay on time, you're fine.", "It helps them. If they pay on time, they're fine."),
        ("Keep it open: it anchors your credit history.", "Keep it open: it anchors their credit history."),
        ("Youth, yours and yourself.", "Youth, theirs and themselves."),
        ("Here is what your credit report shows.", "Here is what the customer's credit report shows."),
        ("The limit was cut from $18,000 to $13,500.", "The limit was cut from $18,000 to $13,500."),  # nothing to turn
    ],
)
def test_an_answer_to_the_customer_is_turned_for_the_analyst(to_customer, to_analyst):
    assert third_person(to_customer) == to_analyst
