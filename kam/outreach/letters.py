"""Post and fax: a campaign's letters as one mail-merged PDF to print (or feed to a fax).

One page per recipient: our company block, the recipient (name, account, postal address, or
the fax number), the date, the subject and the body rendered for him. Generating the letters
marks the queued post and fax deliveries `sent` ("letter generated") once; a later download
prints them again without touching them. Consent is asked again first: a recipient who withdrew
it (or became do-not-contact) since the launch is suppressed, not printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kam.accounts.choices import Channel
from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.pdf import FONT_DIR
from kam.documents.generation import our_company
from kam.outreach import choices, consent
from kam.outreach.models import Campaign, Delivery
from kam.outreach.services import campaign_templates as templates

LETTER_CHANNELS = (Channel.POST, Channel.FAX)
DS = choices.DeliveryStatus
GENERATED = "letter generated"


@dataclass(frozen=True)
class Letter:
    recipient: str
    account: str
    address: str
    channel: str
    subject: str
    body: str


class LetterPDF(FPDF):
    """A4 letters in DejaVu Sans (Cyrillic names print without system fonts)."""

    FONT = "DejaVu"

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(self.FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(self.FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("KAM")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(20, 18, 20)

    def _lines(self, text: str, size: float, style: str = "", height: float = 5) -> None:
        self.set_font(self.FONT, style, size)
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def letter(self, letter: Letter, *, company: dict[str, str], on: date) -> None:
        self.add_page()
        self._lines(company["name"], 11, "B")
        self._lines("\n".join(p for p in (company["address"], company["details"]) if p), 8)
        self.ln(10)
        if letter.channel == Channel.FAX:
            self._lines(_("Fax to %(number)s") % {"number": letter.address}, 9, "B")
        recipient = [letter.recipient, letter.account]
        if letter.channel == Channel.POST:
            recipient.append(letter.address)
        self._lines("\n".join(p for p in recipient if p), 10)
        self.ln(8)
        self._lines(date_format(on, "DATE_FORMAT"), 9)
        self.ln(4)
        self._lines(letter.subject, 12, "B", 6)
        self.ln(3)
        self._lines(letter.body, 10)


def _still_allowed(rows: list[Delivery]) -> tuple[list[Delivery], list[Delivery]]:
    """The rows whose contact may still get the letter, and those who no longer may."""
    granted = consent.granted_channels(row.contact_id for row in rows)
    allowed, refused = [], []
    for row in rows:
        reason = consent.refusal(row.contact, row.channel, granted.get(row.contact_id, set()))
        if reason:
            row.reason = reason
            refused.append(row)
        else:
            allowed.append(row)
    return allowed, refused


def _letter(campaign: Campaign, row: Delivery, shared: Any) -> Letter:
    context = templates.recipient_context(
        campaign=campaign,
        contact=row.contact,
        account=row.account,
        token=row.token,
        shared=shared,
    )
    return Letter(
        recipient=row.contact.full_name,
        account=row.account.legal_name or row.account.name,
        address=row.address,
        channel=row.channel,
        subject=templates.render_subject(campaign.subject, context),
        body=templates.render(campaign.body, context),
    )


def _mark(campaign: Campaign, allowed: list[Delivery], refused: list[Delivery]) -> int:
    now = timezone.now()
    queued = [row.pk for row in allowed if row.status == DS.QUEUED]
    Delivery.objects.filter(pk__in=queued, status=DS.QUEUED).update(
        status=DS.SENT, sent_at=now, reason=GENERATED
    )
    for row in refused:
        Delivery.objects.filter(pk=row.pk, status=DS.QUEUED).update(
            status=DS.SUPPRESSED, reason=row.reason[:500]
        )
    pending = campaign.deliveries.filter(status__in=choices.DELIVERY_PENDING).exists()
    if not pending:
        Campaign.objects.filter(pk=campaign.pk, status=choices.CampaignStatus.SENDING).update(
            status=choices.CampaignStatus.COMPLETED, completed_at=now
        )
    return len(queued)


@transaction.atomic
def campaign_letters(*, user: object, campaign: Campaign) -> tuple[bytes, int]:
    """The PDF of the campaign's post and fax letters that `user` may see (their accounts),
    and how many deliveries were marked sent by this call (0 on a repeated download)."""
    rows = list(
        Delivery.objects.filter(
            campaign=campaign,
            channel__in=LETTER_CHANNELS,
            status__in=(DS.QUEUED, DS.SENT),
        )
        .filter(access.visible_q(user, Delivery))
        .select_related("contact", "account")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    allowed, refused = _still_allowed([r for r in rows if r.status == DS.QUEUED])
    allowed += [r for r in rows if r.status == DS.SENT]
    allowed.sort(key=lambda r: r.pk)
    pdf = LetterPDF(title=campaign.name)
    shared = templates.campaign_values(campaign)
    company, today = our_company(), timezone.localdate()
    for row in allowed:
        pdf.letter(_letter(campaign, row, shared), company=company, on=today)
    if not allowed:
        pdf.add_page()
        pdf._lines(_("No letters to print for this campaign."), 11)
    marked = _mark(campaign, allowed, refused)
    if marked or refused:
        with acting_as(user):
            log_event(
                obj=campaign,
                action=LogEntry.Action.UPDATE,
                data={"event": "letters", "marked_sent": marked, "suppressed": len(refused)},
            )
    return bytes(pdf.output()), marked
