from agent.local_model import until_stop
from tools.text import cut_at_stop, first_sentences


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
