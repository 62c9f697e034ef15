"""Names, companies, emails and picklist values for the demo org, drawn vectorized.

Values come from small fixed word lists combined by index, and stay indices (codes) until a batch is
written: a name is a code into FULL_NAMES, an e-mail address a code that `email_decoder` spells out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo_org.columns import Text

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "Lucas", "Amelia", "Mateo", "Harper", "Ethan", "Evelyn", "Henry", "Aisha", "Kenji",
    "Priya", "Diego", "Chloe", "Hannah", "Omar", "Lena", "Yuki", "Marco", "Sofia", "Jonas",
    "Fatima", "Arjun", "Grace", "Samuel", "Nora", "David", "Zoe", "Daniel", "Leah", "Julian",
    "Camila", "Felix", "Ingrid", "Tomas", "Chen", "Maya", "Hugo", "Elena", "Ravi", "Clara",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Nguyen", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Müller",
    "Schmidt", "Dubois", "Rossi", "Tanaka", "Sato", "Patel", "Kowalski", "Jensen", "O'Brien",
    "Fischer", "Moreau", "Silva", "Novak",
)
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Massive", "Gringotts", "Oscorp", "Wonka", "Aperture", "Blue Sun",
    "Monarch", "Pied Piper", "Dunder", "Nakatomi", "Zorg", "Virtucon", "Gekko", "Sirius",
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Adventure", "Litware", "Proseware",
    "Bluewave", "Ironclad", "Silverline", "Redwood", "Summit", "Horizon", "Pinnacle", "Vertex",
    "Quantum", "Nimbus", "Evergreen", "Brightpath", "Keystone", "Lighthouse", "Meridian",
    "Oakridge", "Riverstone", "Sterling",
)
COMPANY_SUFFIXES = (
    " Inc.", " Corp", " LLC", " Ltd", " GmbH", " Group", " Labs", " Systems", " Holdings",
    " Partners",
)
# Salesforce's default Industry picklist (a subset).
INDUSTRIES = (
    "Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education", "Energy",
    "Media", "Telecommunications", "Transportation", "Insurance", "Consulting", "Banking",
    "Biotechnology", "Hospitality", "Government",
)
INDUSTRY_WEIGHTS = (18, 10, 10, 10, 8, 5, 5, 5, 6, 4, 4, 5, 4, 3, 2, 1)
# Salesforce's default LeadSource values plus the usual campaign-driven ones.
LEAD_SOURCES = (
    "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Employee Referral",
    "Trade Show", "Webinar", "Advertisement",
)
LEAD_SOURCE_WEIGHTS = (30, 10, 12, 8, 5, 6, 10, 12, 7)
CONTACT_TITLES = (
    "CEO", "CFO", "CTO", "VP Operations", "VP Finance", "Head of IT", "IT Manager",
    "Procurement Manager", "Director of Sales", "Operations Manager", "Product Manager",
    "Engineering Manager", "Office Manager", "Controller",
)
US_STATES = ("CA", "NY", "TX", "WA", "MA", "IL", "FL", "GA", "CO", "NC")
COUNTRIES_BY_CURRENCY = {
    "USD": ("United States",),
    "EUR": ("Germany", "France", "Netherlands", "Spain", "Ireland"),
    "GBP": ("United Kingdom",),
    "JPY": ("Japan",),
}
DEAL_PRODUCTS = (
    "Platform License", "Expansion", "Renewal", "Analytics Add-on", "Pilot", "Enterprise Suite",
    "Support Upgrade", "New Seats",
)


def pick(rng: np.random.Generator, values, n: int, weights=None) -> np.ndarray:
    """`n` draws from `values` (optionally weighted), as codes: positions in `values`."""
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return rng.choice(len(values), size=n, p=p)


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of first names (into FIRST_NAMES) and last names (into LAST_NAMES)."""
    return pick(rng, FIRST_NAMES, n), pick(rng, LAST_NAMES, n)


def full_names(first: np.ndarray, last: np.ndarray) -> Text:
    return Text(first * len(LAST_NAMES) + last, FULL_NAMES)


# A company's base name is one word, or two (a second word keeps names from repeating too often in
# a large org): codes 0-49 are single words, 50 + 50 * first + second the pairs. The name adds a
# suffix (code = base * 10 + suffix) and the web domain follows from the base.
_WORDS = np.asarray(COMPANY_WORDS)
BASES = np.concatenate([_WORDS, np.strings.add(np.strings.add(np.repeat(_WORDS, _WORDS.size), " "),
                                               np.tile(_WORDS, _WORDS.size))])
DOMAINS = np.strings.add(np.strings.replace(np.strings.lower(BASES), " ", ""), ".example.com")
FULL_NAMES = np.strings.add(np.strings.add(np.repeat(np.asarray(FIRST_NAMES), len(LAST_NAMES)), " "),
                            np.tile(np.asarray(LAST_NAMES), len(FIRST_NAMES)))


def _local_parts() -> np.ndarray:
    """first.last, lowercase, with characters an address cannot hold dropped, per full-name code."""
    local = np.strings.lower(np.strings.replace(FULL_NAMES, " ", "."))
    for ch, repl in (("'", ""), ("ü", "ue"), (" ", "")):
        local = np.strings.replace(local, ch, repl)
    return local


LOCAL_PARTS = _local_parts()
_BASES_ARROW = pa.array(BASES)
_SUFFIXES_ARROW = pa.array(COMPANY_SUFFIXES)
_DOMAINS_ARROW = pa.array(DOMAINS)
_LOCAL_ARROW = pa.array(LOCAL_PARTS)
# E-mail address codes: person addresses first (full name x domain), then info@<domain>, then the
# org's users (see `email_decoder`).
PERSON_EMAILS = FULL_NAMES.size * BASES.size
INFO_EMAILS = PERSON_EMAILS


def companies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Company name codes (see `company_names`) and their base codes (`DOMAINS` gives the domain)."""
    word = rng.integers(0, len(COMPANY_WORDS), n)
    suffix = rng.integers(0, len(COMPANY_SUFFIXES), n)
    second = rng.integers(0, len(COMPANY_WORDS), n)
    with_second = rng.random(n) < 0.6
    base = np.where(with_second, _WORDS.size + word * _WORDS.size + second, word)
    return base * len(COMPANY_SUFFIXES) + suffix, base


def company_names(codes: np.ndarray) -> pa.Array:
    """Spells out company name codes (one Arrow string operation, not one per name)."""
    suffixes = len(COMPANY_SUFFIXES)
    return pc.binary_join_element_wise(_BASES_ARROW.take(codes // suffixes),
                                       _SUFFIXES_ARROW.take(codes % suffixes), "")


def emails(first: np.ndarray, last: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """Address codes of first.last@domain for each person."""
    return (first * len(LAST_NAMES) + last) * BASES.size + bases


def email_decoder(user_emails: np.ndarray | None = None):
    """Spells out address codes: people, info@ addresses, and the users listed in `user_emails`.

    The decoder expects sorted codes (the writer passes the distinct codes of a batch), so each
    kind of address is one contiguous run.
    """
    users = pa.array(user_emails if user_emails is not None else [], type=pa.string())

    def decode(codes: np.ndarray) -> pa.Array:
        person_end, info_end = np.searchsorted(codes, [INFO_EMAILS, INFO_EMAILS + BASES.size])
        person = codes[:person_end]
        parts = [
            pc.binary_join_element_wise(_LOCAL_ARROW.take(person // BASES.size),
                                        _DOMAINS_ARROW.take(person % BASES.size), "@"),
            pc.binary_join_element_wise("info", _DOMAINS_ARROW.take(codes[person_end:info_end] - INFO_EMAILS), "@"),
            users.take(codes[info_end:] - INFO_EMAILS - BASES.size),
        ]
        return pa.concat_arrays([p.cast(pa.string()) for p in parts])

    return decode


def user_email_codes(user_index: np.ndarray) -> np.ndarray:
    return INFO_EMAILS + BASES.size + user_index


PERSON_EMAIL = email_decoder()
