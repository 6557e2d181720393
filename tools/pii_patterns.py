"""The shapes of PII for tools/pii.py: its regular expressions, keyword lists and checksum checks."""

from __future__ import annotations

import re
from collections.abc import Callable

EMAIL_PATTERN = r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
# 12 to 19 digits, one space, dash or dot allowed between any two: "4111 1111 1111 1111", "3782-822463-10005".
CARD_PATTERN = r"(?<![\w.-])(?P<value>\d(?:[ .-]?\d){11,18})(?!\w|[.-]\d)"
# (first digits, allowed lengths) of the brands in circulation: Visa, Mastercard (old and 2-series),
# Amex, Discover, Diners, JCB (and its old 15-digit ranges), UnionPay, Maestro.
CARD_BRANDS = (
    (("4",), (13, 16, 19)),
    (tuple(str(n) for n in range(51, 56)) + tuple(str(n) for n in range(2221, 2721)), (16,)),
    (("34", "37"), (15,)),
    (("6011", "65") + tuple(str(n) for n in range(644, 650)), (16, 17, 18, 19)),
    (("36", "38") + tuple(str(n) for n in range(300, 306)), (14,)),
    (tuple(str(n) for n in range(3528, 3590)) + ("62",), (16, 17, 18, 19)),
    (("2131", "1800"), (15,)),
    (("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763", "0604"), tuple(range(12, 20))),
)

# Keyword types: the words that say what a number is. A number is one of these only when such a word
# sits just before it ("routing # 021000021") or just after ("021000021 is the routing number").
KEYWORDS = {
    "US_SSN": r"ssns?|social(?:\s+security)?(?:\s+(?:number|no\.?|#))?|ss\s?#",
    "ABA_ROUTING": r"routing(?:\s*/\s*transit)?|aba|rtn|transit",
    # "checking"/"savings" alone are also places money goes ("transfer $50 to savings"): number right after.
    # "acc", "acc't", "accts" need a word end: "according to", "accrued" are not accounts.
    "BANK_ACCOUNT": r"accounts?|acc(?:'?ts?)?\b|a/c|(?:checking|savings)(?=\s*[:#]?\s*\d)",
    "PHONE_NUMBER": r"phones?|cell|mobile|call|text|fax|tel",
}
# Words of the other types, and of look-alikes: a gap holding one ("account phone 2125550134",
# "savings and reference 4085...") means the number is not the keyword's.
OTHER_KEYWORDS = {
    "EMAIL_ADDRESS": r"e-?mail",
    "CREDIT_CARD": r"card|visa|amex",
    "IBAN_CODE": r"iban",
    "LOOK_ALIKE": r"order|ref(?:erence)?|confirmation|tracking|ticket|case|invoice|transaction|txn",
}
NUMBERS = {
    "US_SSN": r"\d{3}(?P<sep>[ .-]?)\d{2}(?P=sep)\d{4}",
    "ABA_ROUTING": r"\d{9}|\d{3}(?P<sep>[ -])\d{3}(?P=sep)\d{3}",
    "BANK_ACCOUNT": r"\d(?:-?\d){5,16}",
    "PHONE_NUMBER": r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}",
}
# A US number written like one: "(212) 555-0134", "212.555.0134", "+1-212-555-0134 x12". phonenumbers
# (presidio's recognizer) also wants a valid area code; a new or mistyped one should not leak.
PHONE_PATTERN = (
    r"(?<![\w.+-])(?P<value>(?:(?:\+?1|001)[ .-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,6})?)(?!\w|[.-]\d)"
)
# Between keyword and number: no digit, currency or sentence end, at most 25 characters on one line,
# or a list's first bullet on the next. A sentence end is a capital after a dot, whatever the case flag
# of the pattern around it: the dots of "acc. no." and "acct. no." are abbreviations.
GAP = r"(?P<gap>(?:[^\d\n$€£;!?.]|\.(?!\s+(?-i:[A-Z]))){0,25}?(?:\n\s*[-*•]?\s*)?)"
NUMBER_END = r"(?!\w|[.,-]\d)"
# Nine digits on their own, run together or 3-3-3: a routing number a customer pastes with no keyword.
# Not the middle of a longer number, a decimal, an amount ("$021000021") or a grouped figure ("1 234 567 890").
BARE_ROUTING_PATTERN = (
    r"(?<![\w.,+$€£¥-])(?P<value>\d{9}|(?<!\d[ -])\d{3}(?P<sep>[ -])\d{3}(?P=sep)\d{3}(?![ -]\d))" + NUMBER_END
)
# An amount written with its currency apart from the digits: "$ 021000021", "USD 021000021", "021000021 dollars".
CURRENCY_BEFORE = r"(?i)(?:[$€£¥]|\b(?:usd|eur|gbp))\s*$"
CURRENCY_AFTER = r"(?i)^\s*(?:dollars?|bucks|usd|eur|euros?|gbp|cents?)\b"
# The next item of a list: "123, 456 and 789", "123; 456", bullets on new lines.
LIST_NEXT = r"(?:\s*[,;/&]\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+|\s*\n\s*(?:[-*•]\s*)?)"
# Words that make a number something else: "order #4829301756" is not a phone.
LOOK_ALIKE_CONTEXT = re.compile(
    r"(?i)\b(?:order|ref(?:erence)?|confirmation|conf|tracking|ticket|case|invoice|transaction|txn|id)"
    r"(?:\W{0,3}(?:no|number|num|id|code))?(?:\s+(?:is|was))?\W{0,4}$"
)

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
DATE = (
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}"
    rf"|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+\d{{4}}"
)
# A birth keyword, then only connecting words ("born on", "DOB:", "date of birth is"), then the date.
DOB_PATTERN = (
    r"(?i)\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|bday)"
    rf"(?:\s*(?:[:=(\[\"'-]|\bis\b|\bwas\b|\bon\b|\bin\b))*\s*(?P<value>{DATE})(?!\d)"
)
STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter"
    r"|parkway|pkwy|circle|cir|highway|hwy|square|sq|trail|trl|plaza"
)
# The rest of the USPS suffixes ("Smith Crossing", "Oak Ridges"): ordinary words, so capitalized lines only.
RARE_SUFFIXES = set(
    "alley arcade bayou beach bend bluff bottom branch bridge brook burg bypass camp canyon cape causeway center "
    "centre cliff club common corner course cove creek crescent crest crossing crossroad curve dale dam divide "
    "estate expressway extension fall falls ferry field flat ford forest forge fork fort freeway garden gateway "
    "glen green grove harbor haven heights hill hollow inlet island isle junction key knoll lake land landing "
    "light loaf lock lodge loop mall manor meadow mews mill mission motorway mount mountain neck orchard oval "
    "overpass park pass path pike pine plain point port prairie radial ranch rapid rest ridge river route row rue "
    "run shoal shore skyway spring spur station stravenue stream summit throughway trace track trafficway tunnel "
    "turnpike underpass union valley via viaduct view village ville vista walk wall well".split()
)
# Lower-case lines have no capitals to go by: "a 15 minute drive" and "a 2 way street" are not addresses.
FUNCTION_WORDS = set("the a an my your our this that it is in on at to of and or for with from by".split())
NOT_STREET_NAMES = FUNCTION_WORDS | set(
    "minute minutes min mins hour hours mile miles block blocks day days way".split()
)
ADDRESS_PATTERN = (
    r"(?i)(?<![\w$.,-])(?P<value>\d{1,6}[a-z]?\s+(?:(?:n|s|e|w|north|south|east|west)\.?\s+)?"
    r"(?P<name>(?:[a-z][a-z'-]*|\d{1,3}(?:st|nd|rd|th))(?:\s+[a-z][a-z'-]*){0,2})\s+"
    rf"(?P<suffix>(?:{STREET_SUFFIX}|{'|'.join(sorted(RARE_SUFFIXES))})s?)\b\.?(?:\s+(?:n|s|e|w|ne|nw|se|sw)\b)?"
    r"(?:,?\s+(?:apt|apartment|suite|ste|unit|#)\.?\s*#?[\w-]+)?)"
)

NAME_WORD = r"[A-Z][a-z]+(?:['-]?[A-Z][a-z]+)*|[A-Z](?:['-]?[A-Z][a-z]+)+"
# Words of one name sit on one line: "Priya Rossi\nCard: ..." is a name and a label.
NAME = rf"(?:{NAME_WORD})(?:[ \t]+(?:[A-Z]\.[ \t]+)?(?:{NAME_WORD})){{0,2}}"
TITLE = r"(?i:mr|mrs|ms|miss|dr)\.?\s+"
NAME_CUES = (
    r"my\s+name\s+is|name\s*(?::|is)|i\s+am|i'm|this\s+is|regards,|sincerely,|signed,?|holder(?:\s+is)?"
    rf"|(?:beneficiary|payee|recipient)(?:\s+is|\s*:)?|{TITLE}"
)
# Money goes to places too ("transfer it to China"): after these, first and last name only.
PAYMENT_CUES = r"(?:send|pay|transfer|wire|zelle|venmo)\b[^\n]{0,20}?\bto"
FULL_NAME = rf"(?:{NAME_WORD})[ \t]+(?:[A-Z]\.[ \t]+)?(?:{NAME_WORD})"
PERSON_PATTERNS = (
    rf"(?i:\b(?:{NAME_CUES}))[\s(\[\"':]*(?:{TITLE})?(?P<value>{NAME})",
    rf"(?i:\badd)[\s(\[\"']+(?P<value>{NAME})[,;.)\"\]]*\s+as\b",
    rf"(?i:\b{PAYMENT_CUES})[\s(\[\"':]*(?P<value>{FULL_NAME})",
    rf"(?P<value>{FULL_NAME})[,;)\"\]]*\s+here\b",
    r"(?i:\bmy\s+name\s+is|\bname\s*:)[\s(\[\"':]*(?P<value>[a-z][a-z'-]+\s+(?:[a-z]\.\s+)?[a-z][a-z'-]+)",
)
# Capitalized words after "this is" or "I'm" that are not names: banks, products, states of mind.
NOT_NAMES = FUNCTION_WORDS | set(
    "bank chase zelle visa mastercard amex discover venmo paypal apple google pay account card checking "
    "savings customer service support team sorry not unable trying calling writing looking having just so "
    "very also here still new interested going".split()
)


def aba_checksum_ok(digits: str) -> bool:
    """ABA routing numbers satisfy 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) = 0 mod 10."""
    d = [int(c) for c in digits]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return len(d) == 9 and total % 10 == 0


def routing_prefix_ok(digits: str) -> bool:
    """The Federal Reserve prefixes in use: districts 01-12, thrifts 21-32, electronic 61-72, traveler's checks 80.

    00 (the Treasury's) is left out: customers do not paste it, and zeros typed as filler pass the checksum.
    """
    prefix = int(digits[:2])
    return 1 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80


def bare_routing_ok(match: re.Match[str]) -> bool:
    """Nine digits with no keyword are a routing number when checksum and prefix say so and nothing says otherwise.

    About one 9-digit number in ten passes the checksum by chance, so what comes before or after decides
    too: an amount's currency, or an order, reference or case word ("order 021000021", "ref 021000021").
    """
    digits = re.sub(r"\D", "", match["value"])
    start, end = match.span("value")
    before, after = match.string[max(0, start - 30) : start], match.string[end : end + 10]
    return (
        aba_checksum_ok(digits)
        and routing_prefix_ok(digits)
        and re.search(CURRENCY_BEFORE, before) is None
        and re.search(CURRENCY_AFTER, after) is None
        and LOOK_ALIKE_CONTEXT.search(before) is None
    )


def luhn_ok(digits: str) -> bool:
    """The Luhn check: double every second digit from the right, the sum ends in 0."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        doubled = int(char) * (2 if i % 2 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def card_ok(number: str) -> bool:
    """A real brand's prefix and length, and the Luhn check."""
    digits = re.sub(r"\D", "", number)
    brand = any(digits.startswith(prefixes) and len(digits) in lengths for prefixes, lengths in CARD_BRANDS)
    return brand and luhn_ok(digits)


def ssn_ok(number: str) -> bool:
    """Issued SSNs: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    digits = re.sub(r"\D", "", number)
    return digits[:3] not in {"000", "666"} and digits[0] != "9" and digits[3:5] != "00" and digits[5:] != "0000"


# What a keyword type's number must also pass.
NUMBER_CHECKS: dict[str, Callable[[str], bool]] = {
    "US_SSN": ssn_ok,
    "ABA_ROUTING": lambda value: aba_checksum_ok(re.sub(r"\D", "", value)),
    "BANK_ACCOUNT": lambda value: not re.fullmatch(DATE, value),  # "account due 11-18-2019" is a date
    "PHONE_NUMBER": lambda value: len(re.sub(r"\D", "", value).removeprefix("1")) == 10,
}


def address_ok(match: re.Match[str]) -> bool:
    """A capitalized street name, or a lower-case line with a common suffix and no unit word for a name."""
    suffix = match["suffix"].lower().removesuffix("s")
    common_suffix = suffix not in RARE_SUFFIXES
    if all(word[0].isupper() or word[0].isdigit() for word in match["name"].split()):
        return common_suffix or match["suffix"][0].isupper()
    return match["value"].islower() and common_suffix and not NOT_STREET_NAMES & set(match["name"].split())


def person_ok(match: re.Match[str]) -> bool:
    """No word of the name is a bank, a product or a common word."""
    return not any(word.strip(".").lower() in NOT_NAMES for word in match["value"].split())
