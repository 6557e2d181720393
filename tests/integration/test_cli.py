"""The CLI contract, end to end: real model, real stores, a fresh process per command."""

import json
import sqlite3
import sys

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.settings import get_settings
from evals.baseline import DEFAULT_PATH as BASELINE
from tools.credit_diff import diff_reports
from tools.credit_facts import parse_facts, verify_facts
from tools.demo_data import demo_customers
from ui.cli import main

CONTRACT_KEYS = {"route", "answer", "sources", "facts", "masked_input", "timings_ms"}
GENERATIVE = {"BANKASSIST_BANKING_ANSWERS": "generative"}


@pytest.fixture(scope="module")
def asked(tmp_path_factory):
    """`bankassist ask --json` against one data dir for the module, as a user's repeated questions are:
    the first call indexes the corpus and seeds the demo customers, the later ones reuse them."""
    data_dir = tmp_path_factory.mktemp("ask-data")

    def ask(cli, *args: str, env: dict[str, str] | None = None):
        return cli("ask", *args, "--json", env={"BANKASSIST_DATA_DIR": str(data_dir), **(env or {})})

    ask.audit_log = data_dir / "audit.jsonl"  # type: ignore[attr-defined]
    return ask


def test_wire_fee_question_is_banking_with_sources(cli, asked):
    run = asked(cli, "What is the fee for an outgoing domestic wire transfer?")
    assert run.code == 0, run.stderr
    out = run.json()
    assert CONTRACT_KEYS <= set(out)
    assert out["route"] == "banking" and out["intent"].startswith(("banking77:", "clinc150:", "ours:banking"))
    assert out["answer"].strip()
    assert out["sources"] and {"id", "title", "score"} == set(out["sources"][0])
    assert {"fee-schedule", "wire-transfers"} & {s["id"] for s in out["sources"]}
    assert set(out["timings_ms"]) == {"mask_pii", "guard_scope", "answer_banking", "check_output"}


def test_a_missing_answerer_adapter_is_said_once_and_the_base_model_writes_the_answer(cli, asked, tmp_path):
    missing = {"BANKASSIST_ANSWERER_ADAPTER_PATH": str(tmp_path / "missing"), "BANKASSIST_MAX_NEW_TOKENS": "32"}
    run = asked(cli, "What is the fee for an outgoing domestic wire transfer?", env=missing | GENERATIVE)
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    out = run.json()
    assert out["route"] == "banking" and out["answer"].strip()
    [notice] = out["notices"]
    assert f"{tmp_path / 'missing'} is not a LoRA adapter directory" in notice and "base model writes" in notice
    assert run.stderr.count("is not a LoRA adapter directory") == 1
    assert asked(cli, "What is the fee for an outgoing domestic wire transfer?").json()["notices"] == []


def test_capital_of_france_is_out_of_scope(cli, asked):
    out = asked(cli, "What's the capital of France?").json()
    assert out["route"] == "out_of_scope"
    assert "only help with Larkspur Bank" in out["answer"]
    assert out["sources"] == [] and out["facts"] == []


def test_credit_question_gives_facts_from_that_customers_reports(cli, asked):
    run = asked(cli, "How can I improve my credit score?", "--customer", "C0001")
    assert run.code == 0, run.stderr
    out = run.json()
    _, _, (older, newer) = demo_customers(count=1)[0]
    assert out["route"] == "credit" and out["facts"] and out["facts_source"] == "extractor"
    # Every fact shown was extracted by the fine-tuned adapter and checked against the diff.
    checked = verify_facts(parse_facts("\n".join(out["facts"])).facts, diff_reports(older, newer))
    assert not checked.unsupported
    assert str(newer.score) in out["answer"] or str(newer.score) in " ".join(out["facts"])


def test_greeting_is_smalltalk_with_a_short_reply(cli, asked):
    out = asked(cli, "Hello! What can you do?").json()
    assert out["route"] == "smalltalk"
    assert 0 < len(out["answer"]) < 400


def test_pii_is_masked_before_the_turn(cli, asked):
    out = asked(cli, "My card 4111 1111 1111 1111 was stolen, what should I do?").json()
    assert out["masked_input"] == "My card <CARD_1> was stolen, what should I do?"
    assert not _names_the_card(json.dumps(out))
    audit = asked.audit_log.read_text()
    last = json.loads(audit.splitlines()[-1])
    assert last["masked_input"] == out["masked_input"] and last["user"].startswith("cli")
    assert last["thread_id"] == out["thread_id"] and not _names_the_card(audit)


def _names_the_card(text: str) -> bool:
    # The whole number, not a prefix: a random hex id may contain "4111".
    return "4111 1111 1111 1111" in text or "4111111111111111" in text


def test_route_runs_the_guard_alone_without_any_llm(cli, tmp_path):
    queries = tmp_path / "q.txt"
    lines = [
        "What is the fee for an outgoing domestic wire transfer?",
        "",
        "Why did my credit score drop?",
        "Who won the Super Bowl?",
    ]
    queries.write_text("\n".join(lines) + "\n")
    # A base model that does not exist proves no LLM is loaded.
    run = cli("route", "--file", str(queries), env={"BANKASSIST_BASE_MODEL": "/nonexistent/model.gguf"})
    assert run.code == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["route"] for r in rows] == ["banking", "credit", "out_of_scope"]
    assert all(set(r) == {"text", "route", "confidence", "in_scope", "intent", "intent_probability"} for r in rows)
    # The guard names the intent it read: a dataset intent or one of our route classes, with its probability.
    assert rows[1]["intent"].startswith(("clinc150:", "ours:credit")) and 0 < rows[1]["intent_probability"] <= 1
    assert cli("route", stdin="hello there\n").stdout.count("\n") == 1


def test_mask_reads_stdin_line_by_line(cli):
    run = cli("mask", stdin="card 4111 1111 1111 1111\nno pii here\nmail bob@example.com\n")
    assert run.stdout.splitlines() == ["card <CARD_1>", "no pii here", "mail <EMAIL_1>"]
    assert cli("mask", "ssn 536-22-8417").stdout.strip() == "ssn <SSN_1>"


def test_ingest_is_incremental_from_the_command_line(cli, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    doc = "---\nid: {id}\ntitle: T {id}\ncategory: c\neffective_date: 2026-01-01\n---\n# T\n\nBody of {id}.\n"
    for name in ("a", "b"):
        (corpus / f"{name}.md").write_text(doc.format(id=name))
    (corpus / "bad.md").write_text("no front matter")
    first = cli("ingest", str(corpus))
    assert first.code == 0 and "added 2, updated 0, removed 0, unchanged 0" in first.stdout
    assert "bad.md" in first.stderr
    assert "added 0, updated 0, removed 0, unchanged 2" in cli("ingest", str(corpus)).stdout
    (corpus / "b.md").unlink()
    assert "removed 1" in cli("ingest", str(corpus)).stdout


def test_an_empty_corpus_is_refused_and_leaves_no_index_behind(cli, tmp_path, isolated_settings):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "broken.md").write_text("---\nid: [x\n---\n")
    run = cli("ingest", str(empty))
    assert run.code == 1 and "error: No valid policy documents" in run.stderr and "broken.md" in run.stderr
    assert not (isolated_settings.data_dir / "index.db").exists()


def test_retrieval_eval_prints_recall_and_mrr_meeting_the_target(cli):
    run = cli("eval", "--suite", "retrieval", "--json", "--baseline", str(BASELINE), timeout=300)
    assert run.code == 0, run.stderr  # the committed baseline's retrieval metrics hold (the regression gate)
    assert "metrics compared, none dropped beyond its tolerance" in run.stderr
    metrics = run.json()
    assert metrics["retrieval_questions"] >= 150
    assert metrics["recall_at_5"] >= 0.95 and 0 < metrics["mrr"] <= 1


def test_customers_lists_the_demo_customers(cli):
    customers = json.loads(cli("customers", "--json").stdout)
    assert len(customers) >= 50
    assert customers[0]["id"] == "C0001" and customers[0]["reports"] >= 2


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["ask", "   "], {}, "empty"),
        (["ask", "x" * 5000], {}, "limit"),
        (["ask", "What changed in my report?", "--customer", "C9999"], {}, "no customer 'C9999'"),
        (["ask", "hi", "--thread", "bad thread!"], {}, "thread id"),
        (
            ["ask", "What are the branch hours?"],
            {
                "BANKASSIST_BACKEND": "openai",
                "BANKASSIST_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                "BANKASSIST_MAX_RETRIES": "0",
                "BANKASSIST_REQUEST_TIMEOUT_S": "3",
                "BANKASSIST_BANKING_ANSWERS": "generative",  # a quoted answer needs no model server
            },
            "did not answer",
        ),
        (["ask", "What are the branch hours?"], {"BANKASSIST_BASE_MODEL": "/nonexistent/model.gguf"}, "does not exist"),
        (["route", "--file", "/nonexistent/q.txt"], {}, "Cannot read"),
        (["chat", "--thread", "bad thread!"], {}, "thread id"),
        (["chat", "--customer", "C0000"], {}, "no customer 'C0000'"),
        (["ingest", "/nonexistent/corpus"], {}, "does not exist"),
        (["eval", "--suite", "safety", "--resume"], {}, "--resume needs --out"),
        (["eval", "--suite", "credit", "--baseline", "/nonexistent/b.json"], {}, "There is no baseline file"),
        (["eval", "--suite", "credit", "--baseline", "/etc/hostname"], {}, "is not a baseline file"),
        (["serve", "--run"], {}, "vllm is not installed"),
        (["serve"], {"BANKASSIST_ADAPTER_PATH": "/nonexistent/adapter"}, "no adapter_config.json"),
        (
            ["ingest", "--store", "weaviate"],
            {"BANKASSIST_WEAVIATE_URL": "http://127.0.0.1:9", "BANKASSIST_WEAVIATE_GRPC_PORT": "10"},
            "Cannot reach Weaviate at http://127.0.0.1:9",
        ),
    ],
)
def test_errors_are_one_line_without_traceback(args, env, message, monkeypatch, capsys):
    assert_one_line_error(args, env, message, monkeypatch, capsys)


def test_a_broken_vector_index_is_one_clear_error(isolated_settings, monkeypatch, capsys):
    isolated_settings.data_dir.mkdir(parents=True)
    (isolated_settings.data_dir / "index.db").write_bytes(b"\x00garbage" * 500)
    message = f"Cannot open the vector index at {isolated_settings.data_dir / 'index.db'}: file is not a database"
    assert_one_line_error(["ask", "What is the wire fee?"], {}, message, monkeypatch, capsys)


def assert_one_line_error(args, env, message, monkeypatch, capsys) -> None:
    """Run the CLI's own entry point in this process (no new interpreter's imports per case)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["bankassist", *args])
    get_settings.cache_clear()  # the settings were read before this case's environment was set
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    assert exited.value.code == 1
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_an_error_in_a_real_process_is_one_line_and_exit_code_1(cli):
    run = cli("ask", "What changed in my report?", "--customer", "C9999")
    assert run.code == 1 and run.stdout == ""
    expected = "error: There is no customer 'C9999'; `bankassist customers` lists them."
    assert run.stderr.strip().splitlines() == [expected], run.stderr


def test_chat_streams_and_a_repeated_thread_continues(cli, isolated_settings):
    first = cli("chat", "--thread", "demo-1", stdin="What are the branch hours on Saturday?\nthanks!\n")
    assert first.code == 0, first.stderr
    assert first.stdout.count("bank> ") == 2
    second = cli("chat", "--thread", "demo-1", "--customer", "C0002", stdin="What changed in my credit report?\n")
    assert second.code == 0, second.stderr
    connection = sqlite3.connect(isolated_settings.data_dir / "checkpoints.db")
    state = SqliteSaver(connection).get_tuple({"configurable": {"thread_id": "demo-1"}})
    messages = state.checkpoint["channel_values"]["messages"]
    assert [m.type for m in messages] == ["human", "ai"] * 3
    assert messages[4].content == "What changed in my credit report?"
