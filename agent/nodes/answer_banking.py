"""Banking questions: retrieve policy passages, answer from them with citations, or say we don't know."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.history import earlier_messages
from agent.runtime.backends import generate_answer
from agent.state import Source, State
from retrieval.retriever import RetrievedDocument
from tools.grounding import drop_ungrounded_sentences
from tools.text import first_sentences

# Small models go on to imitate the prompt's markup; any of these ends the answer.
STOP_STRINGS = ["<source", "</source", "<question", "</question"]
MAX_SENTENCES = 4
UNGROUNDED_NUMBER = "ungrounded_number"  # the output_check name of sentences dropped for a made-up number


def answer_banking(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Answer from the top-k passages; below the relevance threshold, give the contact channel instead."""
    services = runtime.context.services
    settings = services.settings
    question = state["masked_input"]
    documents = services.retriever.retrieve(question, settings.retrieval_top_k)
    relevant = [d for d in documents if d.score >= settings.retrieval_min_score]
    if not relevant:
        return {"messages": [AIMessage(prompts.NO_ANSWER)], "sources": []}
    sources = [to_source(d) for d in relevant]
    # Streamed callers see the sources before the answer's tokens, not after the node ends.
    runtime.stream_writer({"node": "answer_banking", "update": {"sources": sources}})
    messages = [
        SystemMessage(prompts.BANKING_SYSTEM),
        *earlier_messages(state, settings.history_messages),
        HumanMessage(prompts.BANKING_USER.format(sources=format_sources(relevant), question=question)),
    ]
    draft = first_sentences(generate_answer(services.synthesizer, messages, stop=STOP_STRINGS), MAX_SENTENCES)
    answer, dropped = grounded(draft, relevant)
    update: dict[str, Any] = {"messages": [AIMessage(answer or quote_best_source(relevant[0]))], "sources": sources}
    if dropped:  # check_output adds its own checks to this one
        update["output_check"] = [UNGROUNDED_NUMBER]
    return update


def grounded(draft: str, documents: list[RetrievedDocument]) -> tuple[str, int]:
    """The draft without its sentences that state a number the passages lack; and how many went.

    A fee or a limit the passages do not state is the costliest thing a bank's answer can make up. The
    passages are checked, not their numbered blocks: "[2]" must not vouch for "2 years".
    """
    passages = "\n".join(passage for document in documents for passage in document.passages)
    return drop_ungrounded_sentences(draft, passages + "\n" + prompts.CONTACT_LINE)


def quote_best_source(document: RetrievedDocument) -> str:
    """When the model says nothing, quote the best passage (without its title line) and cite it."""
    body = document.passages[0].split("\n", 1)[-1]
    return prompts.QUOTED_ANSWER.format(title=document.title, excerpt=first_sentences(body, 2))


def format_sources(documents: list[RetrievedDocument]) -> str:
    """Number the documents [1]..[n] inside delimited blocks."""
    return "\n\n".join(
        prompts.SOURCE_BLOCK.format(number=n, title=d.title, text="\n\n".join(d.passages))
        for n, d in enumerate(documents, start=1)
    )


def to_source(document: RetrievedDocument) -> Source:
    """What the user and `ask --json` see of a source."""
    return {
        "id": document.id,
        "title": document.title,
        "score": round(document.score, 4),
        "snippet": document.passages[0],
    }
