"""The guard's framed attacks and look-alikes: seeded, labelled, and held out by their parts."""

from finetune.attack_templates import HELD_OUT_EVERY, OVERRIDES, TASKS, attack_set, split


def test_the_set_is_seeded_and_labelled():
    first, again = attack_set(), attack_set()
    assert first == again
    routes = {q.route for q in first.train}
    assert routes == {"out_of_scope", "banking", "credit"}
    assert all(q.label == f"ours:{q.route}" for q in first.train + first.held_out)


def test_held_out_texts_use_frames_and_tasks_the_training_share_never_has():
    data = attack_set()
    assert not {q.text for q in data.train} & {q.text for q in data.held_out}
    assert len(split(OVERRIDES)[1]) == -(-len(OVERRIDES) // HELD_OUT_EVERY)  # every fourth, from the first
    held_tasks = split(TASKS)[1]
    trained_attacks = [q.text.lower() for q in data.train if q.route == "out_of_scope"]
    assert not any(task.lower() in text for task in held_tasks for text in trained_attacks)


def test_both_directions_are_measured():
    held = attack_set().held_out
    assert sum(q.route == "out_of_scope" for q in held) >= 100
    assert sum(q.route != "out_of_scope" for q in held) >= 50
