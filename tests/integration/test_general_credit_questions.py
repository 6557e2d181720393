"""General credit questions on the real guard, retrieval, selector and advisor: the policy first, then the report."""

from agent import prompts


def test_how_to_freeze_credit_gets_the_freeze_policy_then_the_customers_report(assistant):
    # The advisor alone answered this with the customer's utilization.
    result = assistant.ask("How do I place a credit freeze?", customer_id="C0003")
    policy, marker, report = result.answer.partition(f" {prompts.ABOUT_YOUR_REPORT} ")
    assert result.route == "credit" and marker and "freeze" in policy.lower() and report
    assert "credit-freezes-and-fraud-alerts" in [s["id"] for s in result.sources]


def test_what_changed_gets_the_report_alone(assistant):
    result = assistant.ask("What changed in my credit report?", customer_id="C0003")
    assert result.route == "credit" and prompts.ABOUT_YOUR_REPORT not in result.answer and result.facts
