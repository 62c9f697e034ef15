"""Names, companies, emails and picklist values for the demo org, drawn vectorized.

Values come from small fixed word lists combined by index, so millions of rows cost one numpy
string operation per column rather than a Python call per row.
"""

from __future__ import annotations

import numpy as np

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
    """`n` values drawn from `values` (optionally weighted), as a numpy string array."""
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return np.asarray(values)[rng.choice(len(values), size=n, p=p)]


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return pick(rng, FIRST_NAMES, n), pick(rng, LAST_NAMES, n)


def full_names(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    return np.strings.add(np.strings.add(first, " "), last)


def companies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Company names and their web domains (the domain follows from the name)."""
    word = rng.integers(0, len(COMPANY_WORDS), n)
    suffix = rng.integers(0, len(COMPANY_SUFFIXES), n)
    # A second word keeps names from repeating too often in a large org.
    second = rng.integers(0, len(COMPANY_WORDS), n)
    words = np.asarray(COMPANY_WORDS)
    with_second = rng.random(n) < 0.6
    two_words = np.strings.add(np.strings.add(words[word], " "), words[second])
    base = np.where(with_second, two_words, words[word])
    names = np.strings.add(base, np.asarray(COMPANY_SUFFIXES)[suffix])
    slug = np.strings.replace(np.strings.lower(base), " ", "")
    return names, np.strings.add(slug, ".example.com")


def emails(first: np.ndarray, last: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """first.last@domain, lowercase, with characters an address cannot hold dropped."""
    local = np.strings.lower(np.strings.add(np.strings.add(first, "."), last))
    for ch, repl in (("'", ""), ("ü", "ue"), (" ", "")):
        local = np.strings.replace(local, ch, repl)
    return np.strings.add(np.strings.add(local, "@"), domains)
