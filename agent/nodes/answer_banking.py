"""Banking questions: retrieve policy passages, answer from them with citations, or say we don't know.

Extractive (the default): quote the sentence of the passages that answers, cite it, or abstain when
none does. Generative: the model writes from the passages, and sentences stating a figure no passage
states about the same thing are dropped.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.history import earlier_messages, previous_reply
from agent.runtime.backends import generate_answer
from agent.state import Source, State
from retrieval.answer_selector import AnswerSelector, ScoredUnit, document_units, only_said_before
from retrieval.answer_units import AnswerUnit, quoted
from retrieval.retriever import RetrievedDocument
from tools.citations import cite_uncited
from tools.draft_checks import adds_nothing, repeats_itself
from tools.grounding import drop_unsupported_sentences, numbers_in
from tools.text import content_words, first_sentences

if TYPE_CHECKING:
    from agent.dependencies import Services

log = logging.getLogger(__name__)

# Small models go on to imitate the prompt's markup; any of these ends the answer.
STOP_STRINGS = ["<source", "</source", "<question", "</question"]
MAX_SENTENCES = 4
QUOTED_UNITS = 2  # the sentences a fallback quotes from the best source
UNGROUNDED_NUMBER = "ungrounded_number"  # the output_check name of sentences dropped for a made-up number
ABSTAINED = "abstained"  # no sentence of the passages answers the question: the contact channel instead
ABSTENTION_OPENING = prompts.NO_ANSWER.split(". ")[0]  # "I'm sorry, I don't have information about that in ..."
# The words of a question that ask for a figure ("the fee for" ...), rather than say what it is about. Narrower
# than the selector's WANTS_FIGURE, which also counts words that name a topic ("interest", "rate", "phone").
FIGURE_ASK = re.compile(
    r"\b(?:how (?:much|many|long|soon|fast|often)|fees?|costs?|charges?|limits?|when|what time|deadline|"
    r"cut[- ]?offs?(?: times?)?)\b",
    re.IGNORECASE,
)
# Signed out: the request to sign in when the policy has no answer, and the pointer after its answer.
SIGN_IN = {
    "accounts": (prompts.NO_ACCOUNT_CUSTOMER, prompts.SIGN_IN_FOR_ACCOUNTS),
    "credit": (prompts.NO_CUSTOMER, prompts.SIGN_IN_FOR_CREDIT),
}


def answer_banking(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Answer from the top-k passages; below the relevance threshold, give the contact channel instead.

    A question about the customer's own accounts or credit report asked while signed out gets the policy's
    answer and the pointer to sign in; where the policy has none ("what's my balance?"), just the request to
    sign in, and the contact channel, which answers what neither the policy nor the ledger does.
    """
    update = policy_answer(state, runtime)
    if sign_in := state.get("needs_sign_in"):
        ask_to_sign_in, pointer = SIGN_IN[sign_in]
        if abstained(update):  # "what's my balance?", or a branch's own fee
            reply = ask_to_sign_in + help_without_signing_in(runtime.context.role)
            return {"messages": [AIMessage(reply)], "sources": []}
        answer = update["messages"][0]
        update["messages"] = [AIMessage(f"{answer.text} {pointer}")]
    return update


def help_without_signing_in(role: str) -> str:
    """The contact line for a signed-out customer; an analyst without a customer picks one instead."""
    return prompts.HELP_WITHOUT_SIGNING_IN if role == "customer" else ""


def policy_answer_if_any(state: State, runtime: Runtime[Context], node: str) -> dict[str, Any] | None:
    """The policy's quoted answer to a message the guard did not route to banking, on the banking route; or None.

    Only the extractive selector decides: its thresholds and checks were calibrated to abstain. Without it
    (generative answers) or when it abstains, None: the node gives its own reply.
    """
    if runtime.context.services.selector is None:
        return None
    answered = policy_answer(state, runtime, node=node)
    return None if abstained(answered) else {**answered, "route": "banking"}


def abstained(update: dict[str, Any]) -> bool:
    """The policy answer gave the contact channel: no sentence of the passages answers the question."""
    return ABSTAINED in update.get("output_check", [])


def policy_answer(state: State, runtime: Runtime[Context], node: str = "answer_banking") -> dict[str, Any]:
    """The answer from the policy passages alone; `node` names the node it streams its sources as."""
    services = runtime.context.services
    settings = services.settings
    question = services.as_meant(state["masked_input"])  # "wire efe?" finds the wire fee
    relevant, earlier = relevant_documents(state, services, question)
    if not relevant:
        return no_answer()
    sources = [to_source(d) for d in relevant]
    # Streamed callers see the sources before the answer's tokens, not after the node ends.
    runtime.stream_writer({"node": node, "update": {"sources": sources}})
    if services.selector is not None:
        # The bare follow-up names nothing to quote; read with the earlier question, it points at the earlier
        # answer, which the customer has already read. So: both questions, and not the sentences just quoted.
        said = previous_reply(state) if earlier else ""
        return extractive_answer(services.selector, in_context(question, earlier), relevant, sources, said, question)
    messages = [
        SystemMessage(prompts.BANKING_SYSTEM),
        *earlier_messages(state, settings.history_messages),
        # The model reads the customer's own words; only the lookup needed them corrected.
        HumanMessage(source_prompt(relevant, state["masked_input"])),
    ]
    draft = first_sentences(generate_answer(services.answerer, messages, stop=STOP_STRINGS), MAX_SENTENCES)
    return written_answer(draft, state["masked_input"], relevant, sources)


def written_answer(
    draft: str, question: str, documents: list[RetrievedDocument], sources: list[Source]
) -> dict[str, Any]:
    """The model's draft, grounded and cited; the best source quoted instead when nothing of it is usable.

    A draft that loops ("The answer to the question is:" seventeen times) or only echoes the question ("Yes,
    there is a faster option.", "The answer is no.") answers nothing, so it is not shown. A draft that gives
    the contact line (the banking answerer is trained to, when no passage answers) is the abstention it says.
    """
    if draft.startswith(ABSTENTION_OPENING):
        return no_answer()
    units = [document_units(document) for document in documents]
    texts = [[unit.text for unit in of_document] for of_document in units]
    answer, dropped = grounded(draft, texts)
    if repeats_itself(answer) or adds_nothing(answer, question):
        log.info("Banking draft not shown: it repeats itself or says nothing new: %.80r", answer)
        answer = ""
    cited = cite_uncited(answer, texts, question) or quote_best_source(documents[0].title, units[0], question)
    update: dict[str, Any] = {"messages": [AIMessage(cited)], "sources": sources}
    if dropped:  # check_output adds its own checks to this one
        update["output_check"] = [UNGROUNDED_NUMBER]
    return update


def relevant_documents(state: State, services: Services, question: str) -> tuple[list[RetrievedDocument], str | None]:
    """The documents above the relevance floor, and the earlier questions they were looked up with.

    A follow-up is looked up with the question it points back to ("that" in "how long does that take?"),
    then, if that matches nothing well, with the question its thread opened with as well.
    """
    settings = services.settings
    readings: list[str | None] = [None]
    if follows_up := state.get("follows_up"):
        opener = state.get("thread_opener")
        readings = [follows_up, *([f"{opener} {follows_up}"] if opener else [])]
    for reading in readings:
        earlier = services.as_meant(reading) if reading else None
        documents = services.retriever.retrieve(in_context(question, earlier), settings.retrieval_top_k)
        floor = max(settings.retrieval_min_score, settings.retrieval_follow_up_min_score if earlier else -1.0)
        if relevant := [d for d in documents if d.score >= floor]:
            return relevant, earlier
    return [], None


def in_context(question: str, earlier: str | None) -> str:
    """The question, after the earlier one it follows up on, if any.

    A follow-up that asks for a figure of its own keeps only what the earlier question was about: read with
    "What's the fee for an international wire?", "how long does that take?" found the domestic wire's fee
    first; read with "an international wire", the international wire's 1 to 3 business days.
    """
    if not earlier:
        return question
    return f"{topic_of(earlier) if FIGURE_ASK.search(question) else earlier} {question}"


def topic_of(question: str) -> str:
    """The question without the words that ask for a figure; the whole question if nothing else is left."""
    topic = " ".join(FIGURE_ASK.sub(" ", question).split())
    return topic if content_words(topic) else question


def extractive_answer(
    selector: AnswerSelector,
    question: str,
    documents: list[RetrievedDocument],
    sources: list[Source],
    said: str = "",
    asked: str = "",
) -> dict[str, Any]:
    """The answering units quoted exactly, with citations; when none answers, abstain and name the closest section.

    Units already quoted in `said` (the previous answer, for a follow-up) are not quoted again, unless
    nothing else answers or the follow-up's own words (`asked`) are about that answer (`pick_unsaid`); then
    the answer says it is the one just given (`said_again`).
    """
    ranked = selector.rank(question, documents)
    chosen = selector.pick_unsaid(ranked, said, asked)
    if not said:  # a follow-up's answer is what is new to it, or what was just said: nothing more
        chosen = selector.with_next_sentence(chosen, ranked)
    if not chosen:
        return closest_section(ranked[0], documents) if ranked else no_answer()
    # The best unit's document first, so the answer leads with it even where another document was retrieved
    # first; numbered as the answer's sources are listed (only the cited ones), not as they were retrieved.
    cited = list(dict.fromkeys(scored.source for scored in chosen))
    number = {source: n for n, source in enumerate(cited, start=1)}
    ordered = reading_order(chosen, number)  # one citation per document, after its last unit
    texts = quoted([s.unit for s in ordered])
    answer = " ".join(
        f"{text} [{number[s.source]}]" if n == len(ordered) - 1 or ordered[n + 1].source != s.source else text
        for n, (s, text) in enumerate(zip(ordered, texts, strict=True))
    )
    if only_said_before(chosen, said):
        answer = said_again(answer)
    return {"messages": [AIMessage(answer)], "sources": [sources[n - 1] for n in cited]}


def said_again(answer: str) -> str:
    """The previous answer, quoted again for its follow-up: said to be so, with the contact channel for more.

    Asked "And is there a faster option?" just after the ACH answer that prices next-day ACH, the customer
    reads "As I said: ... next-day ACH costs $3. [2] For more, call us ...", not the same two sentences
    bare, as if the question had not been heard. An answer that already gives the phone number (the card
    that never arrives: "... call us at 1-800-555-0199.") does not get it twice.
    """
    again = prompts.SAID_AGAIN.format(answer=answer)
    return again if prompts.CONTACT_PHONE in answer else again + prompts.MORE_HELP


def reading_order(chosen: list[ScoredUnit], number: dict[int, int]) -> list[ScoredUnit]:
    """The chosen units by cited document (`number`), each passage's units together and in reading order.

    The passage of the best unit comes first. Together, because a unit may lean on the one before it: "It has
    no monthly fee." must follow "Teen Checking is ...", not another passage's "Teen Checking converts ... to
    Everyday Checking" (units of two passages share positions).
    """
    passage_rank: dict[tuple[int, int], int] = {}
    for rank, scored in enumerate(chosen):  # best first
        passage_rank.setdefault((scored.source, scored.unit.passage), rank)
    return sorted(chosen, key=lambda s: (number[s.source], passage_rank[s.source, s.unit.passage], s.unit.position))


def no_answer() -> dict[str, Any]:
    """Abstain: nothing retrieved is on the question's topic."""
    return {"messages": [AIMessage(prompts.NO_ANSWER)], "sources": [], "output_check": [ABSTAINED]}


def closest_section(best: ScoredUnit, documents: list[RetrievedDocument]) -> dict[str, Any]:
    """Abstain, but name the section of the unit ranked first and attach its document, that section as snippet.

    When the selector abstains on a question the corpus does answer, that section is on the right page for
    about three in four (tuning questions, README): the customer can read it. It quotes nothing and states no
    figure (no citation mark either), so an unanswerable question gets only a pointer to the nearest topic.
    """
    unit, document = best.unit, documents[best.source - 1]
    if numbers_in(unit.title):  # naming the page would state a figure
        return no_answer()
    named = unit.heading and unit.heading != unit.title and not numbers_in(unit.heading)
    place = f'"{unit.heading}" in "{unit.title}"' if named else f'"{unit.title}"'
    source = to_source(document)
    source["snippet"] = document.passages[unit.passage]  # the passage the unit was read from
    answer = prompts.NO_ANSWER_CLOSEST.format(place=place)
    return {"messages": [AIMessage(answer)], "sources": [source], "output_check": [ABSTAINED]}


def grounded(draft: str, units: list[list[str]]) -> tuple[str, int]:
    """The draft without its sentences stating a number the passages' units do not state about the same thing.

    A fee or a limit the passages do not state is the costliest thing a bank's answer can make up; a
    figure copied from a passage about something else is as wrong. The passages are checked, not their
    numbered blocks: "[2]" must not vouch for "2 years".
    """
    trusted = [unit for of_document in units for unit in of_document]
    return drop_unsupported_sentences(draft, [*trusted, prompts.CONTACT_LINE])


def quote_best_source(title: str, units: list[AnswerUnit], question: str) -> str:
    """When the model says nothing usable, quote the best document's sentences closest to the question, cited.

    The two sentences (or list items) sharing most words with the question, in reading order; the passage's
    first two when none shares a word. A page's opening sentences are on its topic, but asked "how much is a
    stop payment order?", the customer should read the fee schedule's stop-payment line, not its first fee.
    """
    asked = content_words(question)
    shared = [(len(asked & content_words(unit.text)), unit) for unit in units]
    # sorted() is stable: ties keep reading order
    closest = [unit for count, unit in sorted(shared, key=lambda pair: -pair[0]) if count][:QUOTED_UNITS]
    closest = closest or units[:QUOTED_UNITS]
    excerpt = " ".join(quoted(sorted(closest, key=lambda unit: (unit.passage, unit.position))))
    return prompts.QUOTED_ANSWER.format(title=title, excerpt=excerpt)


def source_prompt(documents: list[RetrievedDocument], question: str) -> str:
    """The model's request: the numbered sources, then the question (the banking answerer is trained on it)."""
    return prompts.BANKING_USER.format(sources=format_sources(documents), question=question)


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
