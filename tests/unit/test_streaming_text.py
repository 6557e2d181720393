from agent.runtime.local_model import until_stop
from tools.text import cited_sentences, cut_at_stop, first_sentences


def streamed(pieces, stop):
    return list(until_stop(iter(pieces), stop))


def test_text_stops_before_a_stop_string_split_across_pieces():
    assert "".join(streamed(["Wires cost", " $25 [1].\n\n", "<sou", "rce id=2>"], ["<source"])) == "Wires cost $25 [1]."


def test_without_a_stop_string_everything_passes_through():
    assert "".join(streamed(["Hello", " there", "!"], ["<source"])) == "Hello there!"
    assert streamed(["abc"], []) == ["abc"]


def test_cut_at_stop_and_first_sentences():
    assert cut_at_stop("ok [1] <source id", ["<source", "</"]) == "ok [1] "
    assert first_sentences("One. Two! Three? Four", 2) == "One. Two!"
    assert first_sentences("no full stop here", 2) == "no full stop here"


def test_first_sentences_keeps_each_sentences_citation_marks():
    # Written after the full stop, the last sentence's "[1]" read as an unfinished fragment and was cut.
    assert first_sentences("The minimum opening deposit is $25. [1]", 4) == "The minimum opening deposit is $25. [1]"
    assert first_sentences("A is $1. [1] B is $2. [1][2] C is $3. [3] D", 2) == "A is $1. [1] B is $2. [1][2]"
    assert first_sentences("See [1] for the fee. It is $5 [2]. Then", 4) == "See [1] for the fee. It is $5 [2]."


def test_an_abbreviation_inside_a_sentence_does_not_end_it():
    # Split at "U.S. and", the answer read "... ATMs in the U.S. [1] and abroad. [1]".
    answer = "The card withdraws cash at ATMs in the U.S. and abroad. [1] The fee is $2."
    assert cited_sentences(answer) == ["The card withdraws cash at ATMs in the U.S. and abroad. [1]", "The fee is $2."]


class SilentRuntime:
    """A local runtime whose model stops at once: no text at all."""

    def stream(self, chat, *, use_adapter, max_new_tokens, stop):
        return iter(())


def test_an_empty_streamed_reply_is_an_empty_answer_not_an_error():
    from langchain_core.messages import HumanMessage
    from langgraph.graph import END, START, MessagesState, StateGraph

    from agent.runtime.local_model import LocalChatModel

    model = LocalChatModel(runtime_loader=SilentRuntime, model_name="silent")
    assert "".join(chunk.text for chunk in model.stream([HumanMessage("hi")])) == ""
    # LangGraph's message streaming sends invoke() through _stream, which raised "No generations found".
    graph = StateGraph(MessagesState)
    graph.add_node("answer", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_edge(START, "answer")
    graph.add_edge("answer", END)
    events = list(graph.compile().stream({"messages": [HumanMessage("hi")]}, stream_mode=["messages", "values"]))
    assert events[-1][1]["messages"][-1].text == ""


def test_a_dropped_sentence_takes_its_own_citation_not_the_one_before_it():
    from tools.grounding import drop_unsupported_sentences

    answer, trusted = "Wires cost $99. [1] The opening deposit is $25. [2]", ["The opening deposit is $25."]
    kept, dropped = drop_unsupported_sentences(answer, trusted)
    assert (kept, dropped) == ("The opening deposit is $25. [2]", 1)
