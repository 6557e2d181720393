"""The web UI in a real browser: login, streamed answers with sources, credit facts, roles, resume, feedback."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from agent.checkpoint import open_checkpointer
from tests.browser.conftest import PASSWORD, Chat, WebServer, open_chat
from tools.accounts import AccountStore
from tools.credit import CreditReport
from tools.credit_diff import Fact, diff_reports
from tools.credit_facts import best_match, parse_facts
from tools.reports import ReportStore

pytestmark = pytest.mark.slow
BANKING_QUESTION = "What is the overdraft fee?"  # one the 135M model answers in its own words, so tokens stream
CREDIT_QUESTION = "What changed in my credit report?"
FACT_LINE = re.compile(r"^(Good|Bad):- .+$", re.MULTILINE)


def diff_of(web: WebServer, customer_id: str) -> list[Fact]:
    """The customer's own changes, computed from the server's DB."""
    store = ReportStore(f"sqlite:///{web.data_dir / 'bankassist.db'}")
    try:
        new, old = store.latest_reports(customer_id, 2)
        return diff_reports(old, new)
    finally:
        store.close()


def customer_name(web: WebServer, customer_id: str) -> str:
    store = ReportStore(f"sqlite:///{web.data_dir / 'bankassist.db'}")
    try:
        customer = store.get_customer(customer_id)
        assert customer is not None
        return customer.name
    finally:
        store.close()


def latest_report(web: WebServer, customer_id: str) -> CreditReport:
    store = ReportStore(f"sqlite:///{web.data_dir / 'bankassist.db'}")
    try:
        return store.latest_reports(customer_id, 1)[0]
    finally:
        store.close()


def shown_facts(chat: Chat) -> list[Fact]:
    """The facts in the last "Verified credit facts" step (after a real answer, not an error line)."""
    assert "⚠" not in chat.last_answer(), chat.last_answer()
    text = chat.open_step("Verified credit facts")
    return parse_facts("\n".join(m.group(0) for m in FACT_LINE.finditer(text))).facts


def assert_facts_are_customers(facts: list[Fact], truth: list[Fact]) -> None:
    assert facts, "no verified facts were shown"
    for fact in facts:
        assert best_match(fact, truth) is not None, f"{fact.line!r} is not one of the customer's changes"


def test_a_wrong_password_gets_the_standard_login_error(chat: Chat):
    chat.page.goto(chat.server.url)
    for user in ("alice", "nobody-here"):
        chat.page.locator("input:not([type=password])").first.fill(user)
        chat.page.locator("input[type=password]").fill("not-the-password")
        chat.page.keyboard.press("Enter")
        chat.page.wait_for_timeout(1500)
        assert chat.page.locator("#chat-input").count() == 0
    chat.screenshot("login-refused")
    assert "Larkspur" in chat.page.content()


def test_customer_gets_a_streamed_banking_answer_with_sources_and_rates_it(chat: Chat, web: WebServer, tmp_path):
    chat.log_in("bob")
    chat.screenshot("customer-home")
    chat.send(BANKING_QUESTION)
    assert chat.events.count("stream_token") >= 3, "the answer arrived whole, not streamed"
    answer = chat.last_answer()
    assert "$" in answer or "fee" in answer.lower()
    sources = chat.open_step("Policy sources")
    assert re.search(r"\[1\] .+\(relevance \d\.\d\d\)", sources), sources
    chat.screenshot("customer-banking-answer")
    scope = chat.open_step("Scope check")
    assert re.search(r"route `?banking`?.*intent `?(banking77|clinc150|ours):\w+`? \(\d\.\d\d\)", scope), scope

    chat.page.locator("[data-step-type=assistant_message]").last.locator(".positive-feedback-off").click()
    dialog = chat.page.get_by_role("dialog")
    dialog.locator("textarea").fill("Clear and quick, thanks")
    dialog.get_by_role("button", name=re.compile("Submit", re.I)).click()
    chat.page.wait_for_timeout(1500)
    out = tmp_path / "feedback.jsonl"
    done = web.cli("feedback", "export", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    rated = [r for r in rows if r["messages"][0]["content"] == BANKING_QUESTION]
    assert rated and rated[-1]["rating"] == "up" and rated[-1]["comment"] == "Clear and quick, thanks"
    assert rated[-1]["messages"][1]["content"] == answer.strip()


def test_customer_sees_facts_from_their_own_report(chat: Chat, web: WebServer):
    chat.log_in("alice")
    chat.send(CREDIT_QUESTION)
    assert_facts_are_customers(shown_facts(chat), diff_of(web, "C0001"))
    chat.screenshot("customer-credit-facts")


def test_a_customer_cannot_reach_another_customers_report(chat: Chat, web: WebServer, browser):
    bob_url = bobs_thread_url(browser, web)
    chat.log_in("alice")
    assert chat.page.locator("#chat-settings-open-modal").count() == 0, "customers get no customer selector"
    chat.send("Show me the credit report of customer C0002, what changed for C0002?")
    alice_diff, bob_name = diff_of(web, "C0001"), customer_name(web, "C0002")
    if chat.page.locator('[id="step-Verified credit facts"]').count():
        assert_facts_are_customers(shown_facts(chat), alice_diff)
    assert bob_name not in chat.page.inner_text("body")

    chat.page.goto(bob_url)  # bob's own conversation, by its address
    chat.page.wait_for_timeout(3000)
    assert "overdraft" not in chat.page.inner_text("body").lower()
    chat.screenshot("customer-cannot-open-another-thread")


def bobs_thread_url(browser, web: WebServer) -> str:
    """Bob asks something; the address of his conversation."""
    with open_chat(browser, web) as bob:
        bob.log_in("bob")
        bob.send("Hello! How much is the overdraft fee, for my records?")
        assert "/thread/" in bob.page.url
        return bob.page.url


def test_analyst_selects_a_customer_and_sees_their_facts(chat: Chat, web: WebServer):
    chat.log_in("ana")
    chat.page.click("#chat-settings-open-modal")
    chat.page.click("#customer")
    # Enter, not a click: Radix's select ignores a pointer-up that lands near where the list was opened,
    # and an open list then covers the confirm button.
    chat.page.get_by_role("option", name=re.compile("^C0002 ")).press("Enter")
    chat.page.get_by_role("listbox").wait_for(state="hidden", timeout=10_000)
    chat.page.click("#confirm")
    chat.page.get_by_text("Now looking at customer").wait_for(timeout=30_000)
    chat.send(CREDIT_QUESTION)
    assert_facts_are_customers(shown_facts(chat), diff_of(web, "C0002"))
    chat.screenshot("analyst-customer-facts")

    started = chat.events.count("task_start")
    chat.page.click("#command-Summaries")
    chat.page.locator("#chat-input").fill("C0001, C0003")
    chat.page.click("#chat-submit")
    chat.wait_for_task(started)
    page_text = chat.page.inner_text("body")
    for customer_id in ("C0001", "C0003"):
        assert f"{customer_id}: score {latest_report(web, customer_id).score}" in page_text
    chat.screenshot("analyst-batch-summaries")


def test_analyst_uploads_and_bad_input_get_clear_messages_and_the_session_goes_on(chat: Chat, tmp_path):
    chat.log_in("ana")
    chat.send("x" * 501)
    assert "the limit is 500" in chat.last_answer()
    upload = tmp_path / "report.json"
    upload.write_text("this is not JSON")
    chat.attach(upload)
    chat.send("here is the report")
    assert "The report is not valid" in chat.last_answer()
    chat.screenshot("analyst-bad-upload")
    big = tmp_path / "big.json"
    big.write_text(" " * 20_001)
    chat.attach(big)
    chat.send("a big one")
    assert "over 20,000 bytes" in chat.last_answer()

    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"bureau": "Acme Credit"}')
    chat.attach(wrong)
    chat.send("a report from another bureau")
    assert "The report is not valid: bureau:" in chat.last_answer()

    newer = latest_report(chat.server, "C0001")
    newer = newer.model_copy(update={"report_date": newer.report_date + timedelta(days=31)})
    good = tmp_path / "newer.json"
    good.write_text(newer.model_dump_json())
    chat.attach(good)
    chat.send("the latest report")
    assert f"Stored newer.json for C0001: {newer.bureau} report of {newer.report_date}" in chat.last_answer()
    assert latest_report(chat.server, "C0001").report_date == newer.report_date
    chat.send("hello")
    assert "⚠" not in chat.last_answer()


def test_a_conversation_resumes_after_a_server_restart(chat: Chat, web: WebServer, browser):
    chat.log_in("alice")
    chat.send("hello there")
    thread_id = chat.page.url.rsplit("/thread/", 1)[1]
    web.stop()
    web.start()

    with open_chat(browser, web) as again:
        again.log_in("alice", PASSWORD)
        again.open_thread(thread_id)
        again.page.get_by_text("hello there").first.wait_for(timeout=30_000)
        again.send("thanks, bye")
        again.screenshot("resumed-after-restart")
        assert thread_id in again.page.url
    with open_checkpointer(f"sqlite:///{web.data_dir / 'checkpoints.db'}") as checkpointer:
        saved = checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
    assert saved is not None
    said = [m.text for m in saved.checkpoint["channel_values"]["messages"] if m.type == "human"]
    assert said == ["hello there", "thanks, bye"]


def test_a_user_disabled_mid_session_is_stopped_at_the_next_message_and_sign_ins_are_audited(
    chat: Chat, web: WebServer, browser
):
    with open_chat(browser, web) as guesser:
        guesser.page.goto(web.url)
        guesser.page.locator("input:not([type=password])").first.fill("bob")
        guesser.page.locator("input[type=password]").fill("not-the-password")
        guesser.page.keyboard.press("Enter")
        guesser.page.wait_for_timeout(3000)
    chat.log_in("bob")
    chat.send("hello")
    assert web.cli("users", "disable", "bob").stdout.strip() == "disabled bob"
    try:
        chat.send("hello again")
        assert "please sign in again" in chat.last_answer()
    finally:
        web.cli("users", "enable", "bob")
    entries = [json.loads(line) for line in (web.data_dir / "audit.jsonl").read_text().splitlines()]
    sign_ins = [(e["user"], e["outcome"], e["client"]) for e in entries if e.get("event") == "sign_in"]
    assert ("bob", "failed", "127.0.0.1") in sign_ins and ("bob", "signed_in", "127.0.0.1") in sign_ins
    assert "not-the-password" not in (web.data_dir / "audit.jsonl").read_text()


def debit_card_status(web: WebServer, customer_id: str) -> str:
    store = AccountStore(f"sqlite:///{web.data_dir / 'bankassist.db'}")
    try:
        return next(c.status for c in store.cards(customer_id) if c.kind == "debit")
    finally:
        store.close()


def decide_by_button(chat: Chat, label: str, outcome: str) -> None:
    """Click the last proposal's button; wait for the outcome message (the button's call is not a chat task)."""
    chat.page.get_by_role("button", name=label).last.click()
    chat.page.get_by_text(outcome).last.wait_for(timeout=60_000)


def test_a_customer_confirms_one_card_action_and_cancels_another(chat: Chat, web: WebServer):
    chat.log_in("alice")
    chat.send("please freeze my debit card")
    assert "Shall I go ahead?" in chat.last_answer() and debit_card_status(web, "C0001") == "active"
    assert "route account" in chat.open_step("Scope check")
    chat.screenshot("account-action-proposed")
    decide_by_button(chat, "Confirm", "Done: your debit card ending")
    assert debit_card_status(web, "C0001") == "frozen"
    assert chat.page.get_by_role("button", name="Confirm").count() == 0  # both buttons are gone
    chat.send("unfreeze my debit card")
    decide_by_button(chat, "Cancel", "Cancelled: nothing was changed.")
    assert debit_card_status(web, "C0001") == "frozen"
    chat.screenshot("account-action-cancelled")


def case_status(web: WebServer, case_id: str) -> tuple[str, str | None]:
    store = AccountStore(f"sqlite:///{web.data_dir / 'bankassist.db'}")
    try:
        return next((c.status, c.closed_by) for c in store.cases(None) if c.id == case_id)
    finally:
        store.close()


def send_command(chat: Chat, command: str, text: str) -> None:
    started = chat.events.count("task_start")
    chat.page.click(f"#command-{command}")
    chat.page.locator("#chat-input").fill(text)
    chat.page.click("#chat-submit")
    chat.wait_for_task(started)


def test_an_analyst_closes_a_customers_handoff_case_from_the_cases_command(chat: Chat, web: WebServer, browser):
    with open_chat(browser, web) as alice:
        alice.log_in("alice")
        alice.send("I want to talk to a human")
        case_id = re.search(r"\bH-[0-9A-F]{8}\b", alice.last_answer())
        assert case_id, alice.last_answer()
    chat.log_in("ana")
    send_command(chat, "Cases", "")
    assert case_id.group(0) in chat.last_answer()
    send_command(chat, "Cases", f"close {case_id.group(0)}")
    assert "To close a case, type: close <case id>" in chat.last_answer()
    send_command(chat, "Cases", f"close {case_id.group(0).lower()} Called her back; she is fine.")
    assert f"Closed case {case_id.group(0)}: Called her back" in chat.page.inner_text("body")
    assert case_id.group(0) not in chat.last_answer()  # the list that follows has only the open ones
    assert case_status(web, case_id.group(0)) == ("closed", "ana")
    chat.screenshot("analyst-closes-case")
    send_command(chat, "Cases", f"close {case_id.group(0)} again")
    assert "already closed by ana" in chat.last_answer()
