"""A seeded set of chat strings labelled with their PII spans and with near-misses that must stay unmasked.

The set is built from the PII spec, not from the masker: valid values of each type (Luhn cards of real
brand prefixes, ABA-checksummed routing numbers, mod-97 IBANs, SSNs in issued ranges, US phones) in
varied separators and groupings, inside sentences, next to punctuation and in lists, plus look-alikes
(order numbers, amounts, non-birth dates, Luhn-failing 16-digit numbers, ZIP codes, reference codes).

    from evals.pii_set import generate
    samples = generate(seed=0, count=1000)
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

STRUCTURED = ("CARD", "SSN", "ROUTING", "ACCOUNT", "IBAN", "EMAIL", "PHONE")
CONTEXTUAL = ("DOB", "ADDRESS", "PERSON")
PII_KINDS = STRUCTURED + CONTEXTUAL
NEAR_MISS_KINDS = ("ORDER", "AMOUNT", "DATE", "LUHN_FAIL", "ZIP", "REF")


@dataclass(frozen=True)
class Span:
    """One labelled value: its kind (a placeholder label or a near-miss kind), characters and offsets."""

    kind: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Sample:
    """A string, the PII a masker must replace, and the look-alikes it must leave alone."""

    text: str
    gold: tuple[Span, ...]
    near_misses: tuple[Span, ...]


# A sentence is a list of parts: literal text, or a (kind, value) pair that gets labelled.
Part = str | tuple[str, str]

# "{}" is where the value goes. Keyword types always carry their keyword: a bare 9-digit number is
# an SSN, a routing or an account number only by what the sentence says about it.
FRAMES: dict[str, list[str]] = {
    "CARD": [
        "my card is {}",
        "card number {}",
        "I was charged twice on {}",
        "please block {} now",
        "the Visa {} was declined",
        "can you freeze card {}",
        "{} is my debit card",
        "Card: {}",
        "charge it to {}",
        "my new card {} hasn't arrived yet",
    ],
    "SSN": [
        "my SSN is {}",
        "SSN: {}",
        "social security number {}",
        "my social is {}",
        "SS# {}",
        "here is my social security no. {}",
        "{} is my SSN",
        "SSN {} for the tax form",
    ],
    "ROUTING": [
        "routing number {}",
        "the ABA is {}",
        "routing # {}",
        "RTN: {}",
        "routing/transit {}",
        "use routing number {} for direct deposit",
        "{} is the routing number",
        "ABA routing {}",
    ],
    "ACCOUNT": [
        "account number {}",
        "my checking account is {}",
        "acct #{}",
        "acct: {}",
        "a/c {}",
        "savings account no. {}",
        "deposit to account {}",
        "close account {} please",
        "{} is my account number",
    ],
    "IBAN": [
        "my IBAN is {}",
        "IBAN: {}",
        "send the wire to {}",
        "beneficiary account {}",
        "the IBAN {} is my landlord's",
        "{} is the IBAN",
    ],
    "EMAIL": [
        "email me at {}",
        "my email is {}",
        "contact: {}",
        "send the statement to {}",
        "{} is my login",
        "update my email to {} please",
        "reach me via <{}>",
    ],
    "PHONE": [
        "call me at {}",
        "my phone number is {}",
        "text {}",
        "cell: {}",
        "reach me on {} after 5pm",
        "{} is my mobile",
        "update my number to {}",
    ],
    "DOB": [
        "I was born {}",
        "born on {}",
        "DOB: {}",
        "date of birth {}",
        "my date of birth is {}",
        "birthday: {}",
        "D.O.B. {}",
        "birth date {}",
    ],
    "ADDRESS": [
        "I moved to {}",
        "my address is {}",
        "send the new card to {}",
        "I live at {}",
        "mailing address: {}",
        "update my address to {}, Springfield",
    ],
    "PERSON": [
        "my name is {}",
        "Name: {}",
        "this is {}",
        "I'm {}",
        "please add {} as an authorized user",
        "send $200 to {}",
        "the account holder is {}",
        "Regards,\n{}",
        "payee: {}",
        "{} here, quick question",
    ],
    "ORDER": [
        "order #{} never arrived",
        "where is order {}?",
        "Order ID: {}",
        "my order number is {}",
        "order no. {} was refunded",
    ],
    "AMOUNT": [
        "what is the fee for a {} wire?",
        "I was charged {} twice",
        "my balance is {}",
        "refund of {} please",
        "transfer {} to savings",
    ],
    "DATE": [
        "the statement dated {}",
        "on {} I made a deposit",
        "payment due {}",
        "scheduled for {}",
        "the charge from {} is wrong",
        "my card expires {}",
    ],
    "LUHN_FAIL": [
        "transaction ID {}",
        "my order {} never arrived",
        "reference number {}",
        "tracking {}",
        "the number {} keeps showing up on my statement",
    ],
    "ZIP": ["any branch near {}?", "ZIP code {}", "ATMs in {}", "I moved to the {} area"],
    "REF": ["reference {}", "confirmation code {}", "case {}", "ticket {} is still open"],
}
LIST_INTROS = {
    "CARD": "my cards are ",
    "SSN": "SSNs for me and my wife: ",
    "ROUTING": "routing numbers ",
    "ACCOUNT": "my accounts are ",
    "IBAN": "IBANs: ",
    "EMAIL": "cc ",
    "PHONE": "call ",
}
OPENERS = ["", "", "Hi, ", "Hello! ", "Quick question: ", "Please help, ", "ok so ", "URGENT - "]
CLOSERS = ["", "", ".", "!", "?", " thanks", ", thank you.", " asap", " :)"]
JOINERS = [" and ", ". Also ", "; ", "\n", ", plus "]
WRAPS = [("", ""), ("", ""), ("", ""), ("(", ")"), ('"', '"'), ("", "."), ("", ","), ("[", "]"), ("", ";")]


def luhn_digit(payload: str) -> str:
    """The check digit that makes payload + digit pass the Luhn test."""
    total = 0
    for i, char in enumerate(reversed(payload)):
        doubled = int(char) * (2 if i % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return str(-total % 10)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def grouped(number: str, sizes: list[int], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(part for part in parts if part)


def card_number(rng: random.Random) -> str:
    """Visa 16/13, Mastercard 51-55, Amex 34/37 (15 digits) or Discover 6011, Luhn-valid."""
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("4", 16),
            ("4", 13),
            ("5" + str(rng.randint(1, 5)), 16),
            (rng.choice(["34", "37"]), 15),
            ("6011", 16),
        ]
    )
    payload = prefix + digits(rng, length - len(prefix) - 1)
    return payload + luhn_digit(payload)


def format_card(rng: random.Random, number: str) -> str:
    """Any grouping: 4-4-4-4, Amex 4-6-5, irregular, or none; spaces, dashes, dots or nothing."""
    sep = rng.choice([" ", " ", "-", ".", ""])
    by_length = {15: [[4, 6, 5], [4, 4, 4, 3]], 13: [[4, 3, 3, 3], [4, 4, 5]], 16: [[4, 4, 4, 4], [8, 8], [4, 8, 4]]}
    return grouped(number, rng.choice(by_length[len(number)]), sep)


def card(rng: random.Random) -> str:
    return format_card(rng, card_number(rng))


def luhn_fail(rng: random.Random) -> str:
    """A 16-digit number with a card brand's prefix whose last digit is anything but the Luhn one."""
    payload = rng.choice(["4", "5" + str(rng.randint(1, 5)), "6011"])
    payload += digits(rng, 15 - len(payload))
    wrong = rng.choice([d for d in string.digits if d != luhn_digit(payload)])
    return format_card(rng, payload + wrong)


def ssn(rng: random.Random) -> str:
    """Area 001-899 but 666, group 01-99, serial 0001-9999."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    number = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
    return grouped(number, [3, 2, 4], rng.choice(["-", "-", " ", ".", ""]))


def routing(rng: random.Random) -> str:
    """A Federal Reserve district prefix, six digits, and the ABA check digit."""
    body = f"{rng.choice(list(range(1, 13)) + list(range(21, 33))):02d}" + digits(rng, 6)
    d = [int(c) for c in body]
    check = -(3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5]) % 10
    number = body + str(check)
    return rng.choice([number, number, number, grouped(number, [3, 3, 3], rng.choice([" ", "-"]))])


def account(rng: random.Random) -> str:
    number = str(rng.randint(1, 9)) + digits(rng, rng.randint(7, 13))
    return number if rng.random() < 0.8 else grouped(number, [4, 4, 8], "-")


IBAN_BBANS: dict[str, Callable[[random.Random], str]] = {
    "DE": lambda rng: digits(rng, 18),
    "GB": lambda rng: rng.choice(["NWBK", "BARC", "MIDL", "LOYD"]) + digits(rng, 14),
    "FR": lambda rng: digits(rng, 10) + digits(rng, 10) + rng.choice(string.ascii_uppercase) + digits(rng, 2),
    "NL": lambda rng: rng.choice(["ABNA", "INGB", "RABO"]) + digits(rng, 10),
    "ES": lambda rng: digits(rng, 20),
}


def iban(rng: random.Random) -> str:
    """A country's BBAN with the mod-97 check digits, compact or in groups of four."""
    country = rng.choice(sorted(IBAN_BBANS))
    bban = IBAN_BBANS[country](rng)
    as_number = "".join(str(int(c, 36)) for c in bban + country + "00")
    compact = f"{country}{98 - int(as_number) % 97:02d}{bban}"
    return compact if rng.random() < 0.4 else " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


FIRST = "Maria John Wei Priya Kevin Anne-Marie DeShawn Olga Ahmed Emily Jose Yuki Fatima Liam Chloe Raj".split()
FIRST += "Siobhan Mateo Grace Omar".split()
LAST = "Gonzalez Smith Zhang Patel O'Brien Dubois Jackson Ivanova Haddad Nguyen Garcia Tanaka Khan Murphy".split()
LAST += "McAllister Rossi Schmidt Kowalski Okafor Lee".split()


def email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST).lower().replace("-", ""), rng.choice(LAST).lower().replace("'", "")
    user = rng.choice([f"{first}.{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first[0]}{last}+bank", first])
    domain = rng.choice(["example.com", "gmail.com", "mail.co.uk", "bank-corp.io", "uni.edu", "proton.me"])
    address = f"{user}@{domain}"
    return address if rng.random() < 0.9 else address.title()


def phone(rng: random.Random) -> str:
    """A US number from a real area code, in the ways people type them."""
    area = rng.choice(["212", "415", "312", "617", "303", "202", "646", "718", "305", "214", "503", "702"])
    exchange = str(rng.randint(2, 9)) + rng.choice([d for d in (f"{n:02d}" for n in range(100)) if d != "11"])
    line = digits(rng, 4)
    forms = [
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"{area} {exchange} {line}",
        f"{area}{exchange}{line}",
        f"+1 {area} {exchange} {line}",
        f"+1 ({area}) {exchange}-{line}",
        f"+1-{area}-{exchange}-{line}",
        f"1-{area}-{exchange}-{line}",
        f"+1{area}{exchange}{line}",
    ]
    return rng.choice(forms)


MONTHS = "January February March April May June July August September October November December".split()


def date(rng: random.Random, first_year: int, last_year: int) -> str:
    """One date in one of the usual US and ISO spellings."""
    y, m, d = rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28)
    month = MONTHS[m - 1]
    forms = [
        f"{m:02d}/{d:02d}/{y}",
        f"{m}/{d}/{y}",
        f"{y}-{m:02d}-{d:02d}",
        f"{m:02d}-{d:02d}-{y}",
        f"{m:02d}.{d:02d}.{y}",
        f"{month} {d}, {y}",
        f"{month[:3]} {d} {y}",
        f"{d} {month} {y}",
        f"{m}/{d}/{y % 100:02d}",
    ]
    return rng.choice(forms)


STREETS = "Elm Oak Maple Washington Lincoln Main Park Cedar Lake Hill Sunset Pine Highland 5th 42nd 1st".split()
STREETS += ["Martin Luther King", "Cherry Blossom", "Mill Creek"]
SUFFIXES = "Street St St. Avenue Ave Ave. Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Way Place Terrace".split()
SUFFIXES += ["Parkway"]


def address(rng: random.Random) -> str:
    """A US street line: number, optional direction, name, suffix, optional unit."""
    line = f"{rng.randint(1, 9999)} "
    line += rng.choice(["", "", "", "", "N ", "South ", "W. "]) + f"{rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
    line += rng.choice(["", "", "", "", " NW", ", Apt 4B", " Apt. 12", ", Suite 210", " Unit 7", " #12"])
    return line.lower() if rng.random() < 0.1 else line


def person(rng: random.Random) -> str:
    name = f"{rng.choice(FIRST)} {rng.choice(['', '', '', 'J. ', 'Q. '])}{rng.choice(LAST)}"
    return name.lower() if rng.random() < 0.1 else name


def order(rng: random.Random) -> str:
    forms = [
        digits(rng, rng.randint(6, 10)),
        f"{digits(rng, 3)}-{digits(rng, 7)}-{digits(rng, 7)}",
        "A" + digits(rng, 8),
        "0000" + digits(rng, 5),
    ]
    return rng.choice(forms)


def amount(rng: random.Random) -> str:
    cents = f"{rng.randint(0, 99):02d}"
    forms = [
        f"${rng.randint(1, 9)},{digits(rng, 3)}.{cents}",
        f"${rng.randint(1, 999)}",
        f"$ {rng.randint(1, 99)}.{cents}",
        f"USD {rng.randint(1, 99)},{digits(rng, 3)}.00",
        f"${rng.randint(1, 9)},{digits(rng, 3)},{digits(rng, 3)}",
        f"{rng.randint(1, 9)},{digits(rng, 3)}.{cents} dollars",
    ]
    return rng.choice(forms)


def zip_code(rng: random.Random) -> str:
    code = f"{rng.randint(1001, 99950):05d}"
    return code if rng.random() < 0.7 else f"{code}-{digits(rng, 4)}"


def reference(rng: random.Random) -> str:
    letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
    forms = [
        f"REF-{digits(rng, 4)}-{letters}{digits(rng, 2)}",
        f"CS-{digits(rng, 6)}",
        f"TX{digits(rng, 10)}",
        f"{letters}X-{digits(rng, 5)}",
        f"CONF#{digits(rng, 4)}-{digits(rng, 2)}",
    ]
    return rng.choice(forms)


VALUES: dict[str, Callable[[random.Random], str]] = {
    "CARD": card,
    "SSN": ssn,
    "ROUTING": routing,
    "ACCOUNT": account,
    "IBAN": iban,
    "EMAIL": email,
    "PHONE": phone,
    "DOB": lambda rng: date(rng, 1940, 2006),
    "ADDRESS": address,
    "PERSON": person,
    "ORDER": order,
    "AMOUNT": amount,
    "DATE": lambda rng: date(rng, 2019, 2027),
    "LUHN_FAIL": luhn_fail,
    "ZIP": zip_code,
    "REF": reference,
}


def clause(rng: random.Random, kind: str, value: str | None = None) -> list[Part]:
    """One frame of `kind` around one value, sometimes with punctuation hugging the value."""
    before, after = rng.choice(FRAMES[kind]).split("{}")
    wrap_open, wrap_close = rng.choice(WRAPS) if kind in PII_KINDS and "<" not in before else ("", "")
    return [before + wrap_open, (kind, value or VALUES[kind](rng)), wrap_close + after]


def listing(rng: random.Random, kind: str) -> list[Part]:
    """Two or three values of one kind: inline with commas, semicolons, 'and', 'or', or a bulleted list."""
    values = [VALUES[kind](rng) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.25:
        parts: list[Part] = [LIST_INTROS[kind].rstrip(": ") + ":\n"]
        for i, value in enumerate(values):
            parts += ["- " if i == 0 else "\n- ", (kind, value)]
        return parts
    sep, last = rng.choice([(", ", " and "), (", ", ", "), ("; ", "; "), (" / ", " or "), (", ", ", and ")])
    parts = [LIST_INTROS[kind]]
    for i, value in enumerate(values):
        parts += [(sep if i < len(values) - 1 else last) if i else "", (kind, value)]
    return parts


def repeated(rng: random.Random) -> list[Part]:
    """The same card or phone twice, grouped differently: both must get the same placeholder."""
    if rng.random() < 0.5:
        number = card_number(rng)
        return ["card ", ("CARD", format_card(rng, number)), ", sorry I mean ", ("CARD", format_card(rng, number))]
    first = phone(rng)
    digits_only = "".join(c for c in first if c.isdigit())[-10:]
    again = f"{digits_only[:3]}-{digits_only[3:6]}-{digits_only[6:]}"
    return ["call ", ("PHONE", first), " (that is ", ("PHONE", again), ")"]


def joined(rng: random.Random, *clauses: list[Part]) -> list[Part]:
    parts: list[Part] = []
    for i, each in enumerate(clauses):
        parts += ([rng.choice(JOINERS)] if i else []) + each
    return parts


def scenario(rng: random.Random) -> list[Part]:
    """A single value, two kinds, a list, near-misses alone or beside PII, or one value said twice."""
    roll = rng.random()
    if roll < 0.40:
        body = clause(rng, rng.choice(PII_KINDS))
    elif roll < 0.55:
        first, second = rng.sample(PII_KINDS, 2)
        body = joined(rng, clause(rng, first), clause(rng, second))
    elif roll < 0.67:
        body = listing(rng, rng.choice(STRUCTURED))
    elif roll < 0.85:
        body = joined(rng, *(clause(rng, kind) for kind in rng.sample(NEAR_MISS_KINDS, rng.randint(1, 2))))
    elif roll < 0.97:
        body = joined(rng, clause(rng, rng.choice(PII_KINDS)), clause(rng, rng.choice(NEAR_MISS_KINDS)))
    else:
        body = repeated(rng)
    return [rng.choice(OPENERS), *body, rng.choice(CLOSERS)]


def respaced(rng: random.Random, literal: str) -> str:
    """People type 'SSN:123', 'card  4111' and 'id : 5': vary the spacing of literal text, never of values."""
    if rng.random() < 0.15:
        literal = literal.replace(": ", rng.choice([":", " : ", ":  ", ":\t"]))
    if rng.random() < 0.1 and literal.endswith(" "):
        literal += " "
    return literal


def compose(rng: random.Random, parts: list[Part]) -> Sample:
    """Join the parts into one string, recording where each labelled value landed."""
    text = ""
    gold: list[Span] = []
    near: list[Span] = []
    for part in parts:
        if isinstance(part, str):
            text += respaced(rng, part)
            continue
        kind, value = part
        span = Span(kind, value, len(text), len(text) + len(value))
        (gold if kind in PII_KINDS else near).append(span)
        text += value
    return Sample(text, tuple(gold), tuple(near))


def generate(seed: int = 0, count: int = 1000) -> list[Sample]:
    """`count` labelled strings; the same seed gives the same set."""
    rng = random.Random(seed)
    return [compose(rng, scenario(rng)) for _ in range(count)]


if __name__ == "__main__":
    for sample in generate(count=40):
        print(
            repr(sample.text), [(s.kind, s.value) for s in sample.gold], [(s.kind, s.value) for s in sample.near_misses]
        )
