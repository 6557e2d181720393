import random
from collections import Counter
from datetime import date

import pytest

from finetune.credit_data import make_pair, split_pairs
from finetune.narratives import reference_narrative
from tools.credit_diff import Fact, diff_reports
from tools.credit_facts import parse_facts, score_facts, verify_facts
from tools.credit_generator import EVENTS, generate_history
from tools.credit_score import estimate_score
from tools.credit_sheet import comparison_sheet
from tools.grounding import numbers_in


def test_generator_is_deterministic_and_scores_follow_the_factors():
    first = generate_history(random.Random(3), "A B.", date(2024, 1, 5), 6, snapshots=3)
    again = generate_history(random.Random(3), "A B.", date(2024, 1, 5), 6, snapshots=3)
    assert first == again and len(first) == 3
    assert [r.report_date for r in first] == [date(2024, 1, 5), date(2024, 7, 5), date(2025, 1, 5)]
    assert all(r.score == estimate_score(r) for r in first)


def test_every_kind_of_event_shows_up_as_facts_across_seeds():
    texts = [f.text for seed in range(300) for f in make_pair(seed).facts]
    expected = [
        "balance on",
        "utilization fell",
        "utilization rose",
        "new account was opened",
        "-day late payment",
        "new collection",
        "You paid the",
        "was removed",
        "hard inquiry",
        "limit on",
        "was cut",
        "was closed",
        "charged off",
        "filed on",
        "years old",
        "score rose",
        "score fell",
    ]
    missing = [phrase for phrase in expected if not any(phrase in text for text in texts)]
    assert not missing and len(EVENTS) >= 10


def test_splits_do_not_share_pairs():
    train = {p.sheet for p in split_pairs("train", 40)}
    test = {p.sheet for p in split_pairs("test", 40)}
    assert len(train) == 40 and not train & test


def test_the_sheet_prints_every_figure_the_true_facts_state():
    for seed in range(200):
        pair = make_pair(seed)
        sheet_numbers = numbers_in(pair.sheet)
        for fact in pair.facts:
            # Milestones ("over 10 years") are read off the age line's years, which the sheet prints too.
            assert numbers_in(fact.text) <= sheet_numbers, (seed, fact.text)


def test_sheet_shows_old_and_new_values_side_by_side():
    pair = make_pair(11)
    sheet = comparison_sheet(pair.old, pair.new)
    assert sheet.splitlines()[1] == (
        f"score ({pair.new.score_model}): {pair.old.score} -> {pair.new.score} "
        f"({pair.new.score - pair.old.score:+d})".replace("(+0)", "(0)")
    )
    assert "accounts:" in sheet and "new inquiries:" in sheet


def test_parse_splits_facts_from_malformed_lines():
    extraction = parse_facts("Good:- Your score rose.\n\nBad:-   A late payment.\nSure! Here you go:")
    assert extraction.facts == [Fact("Good", "Your score rose."), Fact("Bad", "A late payment.")]
    assert extraction.malformed == ["Sure! Here you go:"] and not extraction.format_valid
    assert parse_facts("Good:- ok").format_valid


TRUTH = [
    Fact("Good", "Your FICO 8 score rose 25 points, from 700 to 725."),
    Fact("Bad", "A hard inquiry from BLUEWAVE CREDIT was added on 2026-07-01."),
    Fact("Good", "The balance on the credit card with NORTHSTAR CARD ****1111 fell by $300 to $120."),
    Fact("Good", "Your credit card utilization fell from 30% to 25%."),
]


@pytest.mark.parametrize(
    ("line", "supported"),
    [
        ("Good:- Your FICO 8 score rose 25 points, from 700 to 725.", True),
        ("Good:- Your FICO 8 score rose by 25 points, from 700 up to 725.", True),  # rephrased, same figures
        ("Good:- Your FICO 8 score rose 30 points, from 700 to 730.", False),  # a changed figure
        ("Good:- Your FICO 8 score rose 25 points, from 725 to 700.", False),  # swapped figures
        ("Good:- The balance on the credit card with NORTHSTAR CARD ****1111 fell by $120 to $300.", False),
        ("Bad:- A hard inquiry from SUMMIT AUTO FINANCE was added on 2026-07-01.", False),  # another creditor
        ("Good:- Your credit card utilization rose from 30% to 25%.", False),  # the wrong direction
        ("Bad:- Your FICO 8 score rose 25 points, from 700 to 725.", False),  # flipped polarity
        ("Good:- You opened 25 accounts from 700 to 725 banks.", False),  # same numbers, another claim
    ],
)
def test_verification_needs_same_polarity_numbers_and_words(line, supported):
    facts = parse_facts(line).facts
    assert bool(verify_facts(facts, TRUTH).supported) is supported


def test_a_fact_stated_twice_counts_once():
    facts = parse_facts("\n".join([TRUTH[0].line] * 2)).facts
    result = verify_facts(facts, TRUTH)
    assert len(result.supported) == 1 and len(result.unsupported) == 1


def test_fact_scores():
    score = score_facts(parse_facts(TRUTH[0].line + "\nBad:- Something invented 99.").facts, TRUTH)
    assert (score.precision, score.recall) == (0.5, 0.25) and round(score.f1, 3) == 0.333
    total = score + score_facts(TRUTH, TRUTH)
    assert (total.true_positives, total.predicted, total.expected) == (5, 6, 8)
    assert score_facts([], []).f1 == 1.0


def test_narratives_state_every_fact_in_varied_words():
    pair = make_pair(5)
    stories = {reference_narrative(pair.facts, random.Random(seed)) for seed in range(20)}
    assert len(stories) > 5
    for story in stories:
        assert numbers_in(story) == set().union(*(numbers_in(f.text) for f in pair.facts))
        for fact in pair.facts:
            assert fact.text[1:] in story


def test_diff_facts_are_what_the_training_answer_lists():
    pair = make_pair(2)
    answer = pair.messages()[-1]["content"].splitlines()
    assert answer == [f.line for f in diff_reports(pair.old, pair.new)]
    assert Counter(m["role"] for m in pair.messages()) == {"system": 1, "user": 1, "assistant": 1}


def test_a_removed_collection_never_lends_its_id_to_a_new_one():
    for seed in range(300):
        history = generate_history(random.Random(seed), "A B.", date(2022, 1, 5), 3, snapshots=3)
        for report in history:
            ids = [c.id for c in report.collections]
            assert len(ids) == len(set(ids))
        for older, newer in zip(history[:-1], history[1:], strict=True):
            before = {c.id: c for c in older.collections}
            for item in newer.collections:
                if item.id in before:
                    assert (item.amount, item.agency) == (before[item.id].amount, before[item.id].agency)


def test_a_history_needs_two_snapshots():
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        generate_history(random.Random(0), "A B.", date(2022, 1, 5), 3, snapshots=1)


def test_a_long_gap_names_the_milestone_and_a_huge_file_keeps_its_changes():
    pair = make_pair(1)
    old = pair.old.model_copy(update={"report_date": date(2019, 1, 1)})
    oldest = min(t.opened for t in pair.new.tradelines if t.status == "open")
    facts = [f.text for f in diff_reports(old, pair.new) if "years old" in f.text]
    sheet = comparison_sheet(old, pair.new)
    assert oldest and all(numbers_in(f) <= numbers_in(sheet) for f in facts)
    many = [pair.new.tradelines[0].model_copy(update={"id": f"X{n}"}) for n in range(30)]
    big_old = pair.old.model_copy(update={"tradelines": many})
    new_line = pair.new.tradelines[0].model_copy(update={"id": "NEWEST", "opened": pair.new.report_date})
    big_new = pair.new.model_copy(update={"tradelines": [*many, new_line]})
    lines = comparison_sheet(big_old, big_new).splitlines()
    assert any("NEW, opened" in line for line in lines) and "- 30 other accounts: unchanged" in lines


def test_answer_grounding_is_the_share_of_stated_numbers_the_reports_hold():
    import re

    from evals.credit import answer_grounding
    from finetune.credit_data import split_pairs

    pair = split_pairs("test", 1, 0)[0]
    score = re.search(r"score \(.*?\): (\d+)", pair.sheet).group(1)  # the old score, on the comparison sheet
    assert answer_grounding([f"Your score is now {score}."], [pair]) == 1.0
    assert answer_grounding([f"Your score is {score}, up 987654 points."], [pair]) == 0.5
    assert answer_grounding(["Nothing to report."], [pair]) is None


def test_in_chunks_keeps_order_and_batches_of_the_chunk_size(capsys):
    from evals.credit import CHUNK, in_chunks

    sizes = []

    def run(chunk):
        sizes.append(len(chunk))
        return [str(item) for item in chunk]

    assert in_chunks(run, list(range(CHUNK + 5)), "credit: test") == [str(n) for n in range(CHUNK + 5)]
    assert sizes == [CHUNK, 5] and "credit: test" in capsys.readouterr().err
