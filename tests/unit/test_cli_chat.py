def test_a_closing_note_after_the_streamed_tokens_is_shown():
    from ui.cli import unstreamed_end

    assert (
        unstreamed_end("Wires go out today. ", "Wires go out today. Sign in to see yours.") == " Sign in to see yours."
    )
    assert unstreamed_end("Wires go out today.", "Wires go out today.") == ""
    assert unstreamed_end("", "Canned answer.") == ""  # nothing streamed: the caller prints the whole answer
    assert unstreamed_end("A draft", "A checked answer") == ""  # replaced, not extended: shown as withdrawn
