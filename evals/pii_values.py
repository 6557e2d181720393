"""The values of the PII set: valid PII of each type, and the look-alikes a masker must leave alone.

Built from the PII spec, not from the masker (see evals/pii_set.py, which puts them into sentences).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable


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


def aba_check_digit(body: str) -> str:
    """The ninth digit that makes 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) a multiple of 10."""
    d = [int(c) for c in body]
    return str(-(3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5]) % 10)


def routing_digits(rng: random.Random) -> str:
    """A Federal Reserve district prefix, six digits, and the ABA check digit, ungrouped."""
    body = f"{rng.choice(list(range(1, 13)) + list(range(21, 33))):02d}" + digits(rng, 6)
    return body + aba_check_digit(body)


def nine_grouped(rng: random.Random, number: str) -> str:
    """Nine digits as written: mostly run together, sometimes 3-3-3 with spaces or dashes."""
    return rng.choice([number, number, number, grouped(number, [3, 3, 3], rng.choice([" ", "-"]))])


def routing(rng: random.Random) -> str:
    return nine_grouped(rng, routing_digits(rng))


def aba_fail(rng: random.Random) -> str:
    """Nine digits, often with a routing number's prefix, whose last digit is anything but the ABA one."""
    body = rng.choice([routing_digits(rng)[:8], digits(rng, 8)])
    wrong = rng.choice([d for d in string.digits if d != aba_check_digit(body)])
    return nine_grouped(rng, body + wrong)


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
        routing_digits(rng),  # "order 021000021": a checksum-valid 9-digit number is an order number here
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
        f"${routing_digits(rng)}",  # nine digits that pass the ABA checksum, but a dollar sign before them
        f"{routing_digits(rng)} dollars",
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
        routing_digits(rng),
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
    "ABA_FAIL": aba_fail,
    "ZIP": zip_code,
    "REF": reference,
}
