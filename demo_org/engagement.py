"""Engagement: tracked sales e-mails, shared sales content and customer surveys (CSAT/NPS).

E-mails are the messages behind the e-mail tasks reps logged, with the opens, clicks, bounces and
replies an e-mail tracking tool records. Content links are decks and documents shared from a deal
while it was open. Surveys are answered by contacts of customers some weeks after a win. A better
rep's e-mails are opened more, their deals' content is viewed more and their customers score higher.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from demo_org import names
from demo_org.accounts import Accounts, Contacts
from demo_org.activities import (
    NO_REF,
    SUBJECTS,
    SUBTYPES,
    WHAT_DEAL,
    WHO_LEAD,
    what_ref,
    who_ref,
)
from demo_org.clock import DAY, HOUR, Timeline, audit_stamps, between, pick_rows
from demo_org.columns import Ref, Text, either, ref, stack, text
from demo_org.ids import id_start
from demo_org.leads import Leads
from demo_org.pipeline import STAGE_IS_WON, Opportunities
from demo_org.team import Team
from orchestration.salesforce.objects import CONTENT_DISTRIBUTION, EMAIL_MESSAGE, SURVEY_RESPONSE, TASK

# Sales collateral in the org's content library, with how often reps share each piece.
_CONTENT = (("Product overview deck", 22), ("Pricing proposal", 16), ("ROI calculator", 10),
            ("Customer case study", 14), ("Security whitepaper", 9), ("Implementation plan", 8),
            ("Demo recording", 11), ("Mutual action plan", 6), ("Contract draft", 4))
_SURVEY_TYPES = ("CSAT", "NPS", "Both")
# Score distributions over the whole org: NPS 0-10 (promoters 9-10 half, detractors 0-6 a fifth)
# and CSAT 1-5, mostly 4-5. A response's scores come from one latent satisfaction.
_NPS_SHARE = (2, 1, 1.5, 2, 2.5, 4.5, 6.5, 12, 18, 22, 28)
_CSAT_SHARE = (4, 6, 15, 35, 40)
# E-mail subjects: the task's subject without its 'Email: ' prefix, then the replies' 'RE: ' versions.
_STRIPPED = np.strings.replace(SUBJECTS, "Email: ", "", 1)
_EMAIL_SUBJECTS = np.concatenate([_STRIPPED, np.strings.add("RE: ", _STRIPPED)])
_SKILL_EFFECT = 0.5  # latent satisfaction per standard deviation of the owner's skill
_COMMENTS = (
    ("Onboarding took longer than promised.", "Support is slow to answer.",
     "Too expensive for what we use.", "Several features we were sold do not work yet."),
    ("Good product, a few rough edges.", "Does the job.", "Reporting could be better.",
     "Solid, but the rollout needed more guidance."),
    ("Great team, very responsive.", "Exactly what we needed.", "Smooth rollout, thank you!",
     "Our account executive went above and beyond."),
)


def build_email_messages(rng: np.random.Generator, tl: Timeline, team: Team, tasks: dict, links: dict,
                         leads: Leads, accounts: Accounts, contacts: Contacts, opps: Opportunities,
                         block: int = 0) -> dict:
    """The EmailMessage table: one per completed e-mail task, plus the replies some of them got."""
    email_task = (tasks["TaskSubtype"].codes == SUBTYPES.index("Email")) & tasks["IsClosed"]
    # A few e-mails were logged by hand (BCC, copy-paste), with no message behind the task.
    t = np.flatnonzero(email_task & (rng.random(email_task.size) < 0.93))
    n = t.size
    sent = tasks["CreatedDate"][t]
    rep, who_kind, who, what_kind, what = (links[k][t] for k in ("owner", "who_kind", "who", "what_kind", "what"))
    skill = team.skill[rep]
    to_lead = who_kind == WHO_LEAD
    # The recipient: the lead or contact; without one, the company's general address.
    person = np.where(to_lead, leads.email[np.minimum(who, leads.size - 1)],
                      contacts.email[np.minimum(who, contacts.size - 1)])
    account = np.where(what_kind == WHAT_DEAL, opps.account[np.minimum(what, opps.size - 1)], what)
    company = names.INFO_EMAILS + accounts.domain[np.minimum(account, accounts.size - 1)]
    to = np.where(who_kind != NO_REF, person, company)
    refs = (leads, contacts, opps, accounts)
    related = either(what_kind != NO_REF, what_ref(refs, what_kind, what), who_ref(refs, who_kind, who))
    rep_email = names.user_email_codes(team.rep_user[rep])

    tracked = rng.random(n) < 0.7
    bounced = pick_rows(rng, 0.012, np.ones(n, bool)) | (to_lead & (rng.random(n) < 0.025))
    # Cold e-mails to leads are opened less than e-mails about a live deal or a customer account.
    p_open = np.clip(0.58 + 0.07 * skill - 0.12 * to_lead, 0.25, 0.85)
    first_open = sent + rng.lognormal(np.log(3 * HOUR), 1.3, n).astype(np.int64)
    opened = tracked & ~bounced & (rng.random(n) < p_open) & (first_open <= tl.latest)
    reopen = first_open + rng.exponential(2 * DAY, n).astype(np.int64)
    last_open = np.where((rng.random(n) < 0.45) & (reopen <= tl.latest), reopen, first_open)
    clicks = np.where(opened & (rng.random(n) < 0.25), rng.choice([1, 2, 3], n, p=[0.65, 0.25, 0.1]), 0)
    # Some opened e-mails get an answer, logged with the thread but not as a task of its own.
    reply_at = first_open + rng.lognormal(np.log(5 * HOUR), 1.0, n).astype(np.int64)
    replied = opened & (rng.random(n) < np.clip(0.16 + 0.04 * skill, 0.05, 0.3)) & (reply_at <= tl.latest)
    r = np.flatnonzero(replied)
    m = r.size
    # Status: '3' sent; a reply is '0' new, '1' read or '2' replied to.
    answered = np.where(reply_at[r] >= tl.latest - DAY, 1, np.where(rng.random(m) < 0.55, 3, 2))

    subject = tasks["Subject"].codes[t]
    sent_by = tasks["OwnerId"][t]
    no = np.zeros(m, bool)  # the replies' flags
    incoming = _stack(np.zeros(n, bool), np.ones(m, bool))
    created = _stack(sent, reply_at[r])
    is_opened = _stack(opened, no)
    is_tracked = _stack(tracked, no)
    seen = _stack(np.where(opened, last_open, sent), reply_at[r])
    modified, modstamp = audit_stamps(rng, tl, created, floor=seen, edit_share=0.05)
    # Deleting a task deletes its e-mail, and the reply goes with the thread.
    deleted = _stack(tasks["IsDeleted"][t], tasks["IsDeleted"][t][r])
    gone = _stack(tasks["SystemModstamp"][t], tasks["SystemModstamp"][t][r])
    modified = np.where(deleted, np.maximum(modified, gone), modified)
    modstamp = np.where(deleted, np.maximum(modstamp, gone), modstamp)
    addresses = names.email_decoder(team.users["Email"])
    table = {
        "ParentId": Ref(np.zeros(n + m, np.int64), "500", null=np.ones(n + m, bool)),  # Email-to-Case only
        "ActivityId": Ref(_stack(tasks["Id"].counter[t], np.zeros(m, np.int64)), TASK.id_prefix, null=incoming),
        "RelatedToId": stack(related, related[r]),
        "Subject": text(_stack(subject, subject[r] + SUBJECTS.size), _EMAIL_SUBJECTS),
        "FromAddress": Text(_stack(rep_email, to[r]), addresses),
        "ToAddress": Text(_stack(to, rep_email[r]), addresses),
        "Incoming": incoming,
        "Status": text(_stack(np.zeros(n, np.int64), answered), ("3", "0", "1", "2")),
        "MessageDate": created,
        "IsTracked": is_tracked,
        "IsOpened": is_opened,
        "FirstOpenedDate": np.ma.array(_stack(first_open, reply_at[r]), mask=~is_opened),
        "LastOpenedDate": np.ma.array(_stack(last_open, reply_at[r]), mask=~is_opened),
        "IsBounced": _stack(bounced, no),
        "ClickCount": np.ma.array(_stack(clicks, np.zeros(m, np.int64)), mask=~is_tracked),
        "CreatedById": stack(sent_by, sent_by[r]),
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    return _in_creation_order(EMAIL_MESSAGE.id_prefix, id_start(60_000_000, block), table)


def build_content_distributions(rng: np.random.Generator, tl: Timeline, team: Team,
                                opps: Opportunities, block: int = 0) -> dict:
    """The ContentDistribution table: links to sales content shared from deals while they were open."""
    won = STAGE_IS_WON[opps.stage]
    closed = opps.table["IsClosed"]
    shares = ~opps.deleted & (rng.random(opps.size) < np.where(won, 0.66, 0.37))
    per_deal = np.where(shares, rng.choice([1, 2, 3], opps.size, p=[0.55, 0.3, 0.15]), 0)
    deal = np.repeat(np.arange(opps.size), per_deal)
    end = np.where(closed, opps.last_change, tl.latest)[deal]
    created = tl.clip(between(rng, opps.created[deal], end))
    owner = opps.owner[deal]
    keep = team.is_active(tl, owner, created)  # only reps on the payroll share content
    deal, created, owner = deal[keep], created[keep], owner[keep]
    n = deal.size

    # Engaged buyers open what they are sent: won deals and better reps' deals get more views.
    won_deal = won[deal]
    engaged = np.clip(0.72 + 0.12 * won_deal + 0.05 * team.skill[owner], 0.4, 0.95)
    first_view = created + rng.lognormal(np.log(20 * HOUR), 1.2, n).astype(np.int64)
    viewed = (rng.random(n) < engaged) & (first_view <= tl.latest)
    views = np.where(viewed, np.minimum(rng.geometric(np.where(won_deal, 0.25, 0.4)), 15), 0)
    last_view = np.where(views > 1, between(rng, first_view, np.full(n, tl.latest)), first_view)
    last_view = np.minimum(last_view, first_view + rng.exponential(20 * DAY, n).astype(np.int64))
    # Some links are shared at account level (a whitepaper for the whole buying committee).
    on_account = rng.random(n) < 0.12
    related = either(on_account, opps.table["AccountId"][deal], opps.refs(deal))
    content = rng.choice(len(_CONTENT), n, p=_shares(c[1] for c in _CONTENT))
    no_view = views == 0
    seen = np.where(no_view, created, last_view)
    modified, modstamp = audit_stamps(rng, tl, created, edit_share=0.1)
    table = {
        "Name": text(content, [c[0] for c in _CONTENT]),
        "ContentVersionId": Ref(3_100_000 + content, "068"),
        "RelatedRecordId": related,
        "OwnerId": team.rep_ref(owner),
        "ViewCount": views,
        "FirstViewDate": np.ma.array(first_view, mask=no_view),
        "LastViewDate": np.ma.array(last_view, mask=no_view),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": np.maximum(modstamp, seen),  # view counts are written by the system
    }
    return _in_creation_order(CONTENT_DISTRIBUTION.id_prefix, id_start(8_000_000, block), table)


def build_survey_responses(rng: np.random.Generator, tl: Timeline, team: Team, contacts: Contacts,
                           opps: Opportunities, block: int = 0) -> dict:
    """The Survey_Response__c table: CSAT/NPS answers from contacts of won customers."""
    won = np.flatnonzero(~opps.deleted & STAGE_IS_WON[opps.stage])
    # A won deal triggers an onboarding survey and, later, relationship surveys; not all answer.
    deal = np.repeat(won, rng.poisson(1.1, won.size))
    delay = (14 * DAY + rng.gamma(2.0, 30 * DAY, deal.size)).astype(np.int64)
    responded = opps.last_change[deal] + delay
    contact = contacts.pick(rng, opps.account[deal], np.minimum(responded, tl.latest))
    keep = (responded <= tl.latest) & (contact >= 0)
    deal, responded, contact = deal[keep], responded[keep], contact[keep]
    n = deal.size

    survey = rng.choice(3, n, p=[0.35, 0.35, 0.3])
    sd = np.hypot(1.0, _SKILL_EFFECT)
    # Centred on the answering customers' reps: winners skew skilled, the org mix stays on target.
    skill = team.skill[opps.owner[deal]]
    skill = skill - (skill.mean() if n else 0.0)
    latent = rng.normal(0.0, 1.0, n) + _SKILL_EFFECT * skill
    near = 0.8 * latent + 0.6 * sd * rng.normal(0.0, 1.0, n)  # CSAT follows the same sentiment
    nps = np.digitize(latent, _cut_points(_NPS_SHARE, sd))
    csat = 1 + np.digitize(near, _cut_points(_CSAT_SHARE, sd))
    band = np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0))
    band = np.where(survey == 0, np.minimum(csat - 3, 2).clip(0), band)
    has_comment = rng.random(n) < np.where(band == 1, 0.25, 0.45)
    comment = band * len(_COMMENTS[0]) + rng.integers(0, len(_COMMENTS[0]), n)

    created = np.minimum(responded + rng.integers(30, 20 * 60, n), tl.latest)  # synced from the tool
    deleted = pick_rows(rng, 0.01, np.ones(n, bool))  # test answers and duplicates
    modified, modstamp = audit_stamps(rng, tl, created, deleted=deleted, edit_share=0.05)
    table = {
        "Account__c": opps.table["AccountId"][deal],
        "Opportunity__c": opps.refs(deal),
        "Contact__c": contacts.refs(contact),
        "Survey_Type__c": text(survey, _SURVEY_TYPES),
        "CSAT__c": np.ma.array(csat, mask=survey == 1),
        "NPS__c": np.ma.array(nps, mask=survey == 0),
        "Responded_At__c": responded,
        "Comment__c": text(comment, np.ravel(_COMMENTS), null=~has_comment),
        "OwnerId": team.rep_ref(opps.owner[deal]),
        "IsDeleted": deleted,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modstamp,
    }
    table = _in_creation_order(SURVEY_RESPONSE.id_prefix, id_start(1_200_000, block), table)
    # Auto-numbered names, numbered per territory so territories stay independent.
    number = np.strings.zfill((block * 1_000_000 + np.arange(1, n + 1)).astype(str), 6)
    return {"Id": table.pop("Id"), "Name": np.strings.add("SR-", number), **table}


def _stack(outbound: np.ndarray, replies: np.ndarray) -> np.ndarray:
    return np.concatenate([outbound, replies])


def _in_creation_order(prefix: str, start: int, table: dict) -> dict:
    """Rows sorted by CreatedDate with Ids that, as in Salesforce, increase with it."""
    order = np.argsort(table["CreatedDate"], kind="stable")
    return {"Id": ref(prefix, start, np.arange(order.size)), **{k: v[order] for k, v in table.items()}}


def _shares(weights) -> np.ndarray:
    w = np.fromiter(weights, float)
    return w / w.sum()


def _cut_points(shares, sd: float) -> np.ndarray:
    """Thresholds on a N(0, sd) latent that give each score its share of the responses."""
    cumulative = np.cumsum(_shares(shares))[:-1]
    return np.asarray([NormalDist(0.0, sd).inv_cdf(float(c)) for c in cumulative])
