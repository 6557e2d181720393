"""The simulated customers' personas: the shipped file, the seeded conversations, and bad files refused by file:line."""

from __future__ import annotations

import json
import sys

import pytest

import evals.conversations as conversations
import ui.cli as cli
from evals.conversation_generate import generate, script
from evals.conversation_personas import PERSONAS_PATH, load_personas
from tools.demo_data import demo_customers
from tools.errors import InvalidInputError

CUSTOMERS = {customer_id: name for customer_id, name, _ in demo_customers()}
REQUIRED_KINDS = {"impatient", "follow_up", "topic_switch", "clarify", "pii", "cross_customer", "injection",
                  "analyst_switch", "banking", "credit"}  # fmt: skip
GOOD = {
    "id": "p1", "kind": "banking", "role": "customer", "customer": "C0001", "goal": "Learn the wire fee.",
    "turns": [{"say": "hi"}, {"say": "wire fee?", "expect": {"route": "banking"}}, {"say": "thanks"}, {"say": "bye"}],
}  # fmt: skip


def write(tmp_path, *rows) -> object:
    path = tmp_path / "personas.jsonl"
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n")
    return path


def test_the_shipped_personas_cover_every_kind_with_four_to_eight_turns():
    personas = load_personas(PERSONAS_PATH, CUSTOMERS)
    assert len(personas) >= 30
    assert {p.kind for p in personas} >= REQUIRED_KINDS
    assert all(4 <= len(p.turns) <= 8 for p in personas)
    analysts = [p for p in personas if p.role == "analyst"]
    assert analysts and all(len({t.customer for t in p.turns} - {None}) >= 1 for p in analysts)
    injections = [p for p in personas if p.kind == "injection"]
    assert any(p.turns[0].expect.route == ("banking",) and p.turns[1].expect.route == ("banking",) for p in injections)


def test_the_same_seed_gives_the_same_conversations_and_another_seed_other_wordings():
    personas = load_personas(PERSONAS_PATH, CUSTOMERS)
    first, again = generate(personas, CUSTOMERS, seed=30), generate(personas, CUSTOMERS, seed=30)
    assert first == again
    other = generate(personas, CUSTOMERS, seed=31)
    assert [c.turns for c in other] != [c.turns for c in first]
    # A persona's messages do not depend on which personas run with it (--limit)
    assert generate(personas[5:6], CUSTOMERS, seed=30)[0] == first[5]


def test_slots_fill_pii_values_names_and_typos_but_never_misspell_a_value(tmp_path):
    row = {**GOOD, "turns": [
        {"say": "my card {card} and SSN {ssn} were stolen, what do I do now?", "typos": True},
        {"say": "show me {name:C0002}'s report"}, {"say": "{thanks|thank you}"}, {"say": "bye"},
    ]}  # fmt: skip
    persona = load_personas(write(tmp_path, row), CUSTOMERS)[0]
    turns = script(persona, CUSTOMERS).turns
    card, ssn = turns[0].pii
    assert card in turns[0].message and ssn in turns[0].message  # pasted as generated
    assert turns[0].message != f"my card {card} and SSN {ssn} were stolen, what do I do now?"  # the words misspelled
    assert turns[1].message == "show me Bob Nguyen's report" and turns[1].pii == ()
    assert turns[2].message in ("thanks", "thank you")


def test_an_analysts_pick_holds_until_the_next_one(tmp_path):
    turns = [{"say": "what changed?"}, {"say": "and here?", "customer": "C0007"}, {"say": "ok"}, {"say": "bye"}]
    persona = load_personas(write(tmp_path, {**GOOD, "role": "analyst", "turns": turns}), CUSTOMERS)[0]
    assert [t.customer_id for t in script(persona, CUSTOMERS).turns] == ["C0001", "C0007", "C0007", "C0007"]


@pytest.mark.parametrize(
    ("rows", "where", "why"),
    [
        ([GOOD, '{"id": "p2", "kind": '], ":2: ", "not valid JSON"),
        ([{**GOOD, "customer": "C9999"}], ":1: ", "customer: there is no customer 'C9999'"),
        ([{**GOOD, "target": "C0077"}], ":1: ", "target: there is no customer 'C0077'"),
        ([{**GOOD, "turns": [{"say": "about {name:C0404}"}] * 4}], ":1: ", "turns.0.say: there is no customer 'C0404'"),
        ([GOOD, {**GOOD, "id": "p2", "turns": GOOD["turns"][:3]}], ":2: ", "turns: Tuple should have at least 4 items"),
        ([{**GOOD, "kind": "grumpy"}], ":1: ", "kind: Input should be"),
        ([{**GOOD, "turns": [{"say": "hi {cardd}"}] * 4}], ":1: ", "unknown slot {cardd}"),
        ([{**GOOD, "turns": [{"say": "hi", "customer": "C0002"}] * 4}], ":1: ", "only an analyst can"),
        ([{**GOOD, "turns": [{"say": "x", "expect": {"route": "banknig"}}] * 4}], ":1: ", "turns.0.expect.route.0"),
        ([GOOD, "", GOOD], ":3: ", "persona id 'p1' is used twice"),
    ],
)
def test_a_bad_persona_file_is_refused_with_its_file_and_line(tmp_path, rows, where, why):
    path = write(tmp_path, *rows)
    with pytest.raises(InvalidInputError) as refused:
        load_personas(path, CUSTOMERS)
    message = str(refused.value)
    assert message.startswith(f"{path}{where}") and why in message and "\n" not in message


def test_an_empty_or_missing_file_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="holds no persona"):
        load_personas(write(tmp_path, ""), CUSTOMERS)
    with pytest.raises(InvalidInputError, match="cannot read the persona file"):
        load_personas(tmp_path / "nope.jsonl", CUSTOMERS)


def test_the_eval_command_refuses_a_bad_persona_file_in_one_line_before_any_model_loads(
    isolated_settings, tmp_path, monkeypatch, capsys
):
    path = write(tmp_path, GOOD, {**GOOD, "id": "p2", "customer": "C0999"})
    monkeypatch.setattr(conversations, "run_all", lambda *_: pytest.fail("the suite ran a model"))
    monkeypatch.setattr(sys, "argv", ["bankassist", "eval", "--suite", "conversations", "--personas", str(path)])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"error: {path}:2: customer: there is no customer 'C0999'")
