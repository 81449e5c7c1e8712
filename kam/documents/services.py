"""Write use cases of documents: upload, new version, edit, delete to the trash, the register's
numbers, generated documents and administrators' templates.

Every write asks `core.access` whether the user may change the document's record (with the
record's own `AccessSpec`), validates the whole row, runs in one transaction and is audited
under the acting user (django-auditlog records documents and versions; downloads of
confidential kinds are logged as events).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import IO, Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.core.services import versioned_update
from kam.documents import choices, files, generation
from kam.documents.errors import DocumentError, TemplateError
from kam.documents.models import Document, DocumentTemplate, DocumentVersion, RegisterCounter
from kam.documents.selectors import documentable_model

EDITABLE = frozenset(
    {"kind", "title", "number", "date", "correspondent_account", "correspondent_contact"}
)


def _require(user: Any, record: Model, action: access.Action = "change") -> None:
    """`user` may change `record`: else NotFound if he may not even see it (or it is in the
    trash), PermissionDenied if he only sees it. Failed attempts are audited by core.access."""
    if not access.is_active_user(user):
        raise NotFoundError()
    access.get_for(user, type(record)._default_manager.all(), record.pk, action)


def _check_record(record: Model) -> None:
    documentable_model(record._meta.label_lower)
    if record.pk is None:
        raise DocumentError(fields={"object_id": [_("The record is not saved.")]})


def _check_correspondents(user: Any, document: Document) -> None:
    account, contact = document.correspondent_account, document.correspondent_contact
    for field, value in (("correspondent_account", account), ("correspondent_contact", contact)):
        if value is not None and not access.can(user, value):
            raise DocumentError(fields={field: [_("Not found.")]})
    if account is not None and contact is not None and contact.account_id != account.pk:
        raise DocumentError(
            fields={"correspondent_contact": [_("The contact works for another account.")]}
        )


def _validate(document: Document) -> None:
    try:
        document.full_clean(exclude=["current_version"])
    except ValidationError as error:
        raise DocumentError(_("Some values are not valid."), fields=error.message_dict) from None


def register_next(*, direction: str, when: datetime) -> tuple[int, int]:
    """Take the next register number of `direction` in `when`'s year: (year, sequence).

    Locks the counter row until the caller's transaction ends, so concurrent registrations
    queue and a rolled-back one gives its number back: the numbers have no gaps.
    """
    year = timezone.localdate(when).year
    RegisterCounter.objects.get_or_create(direction=direction, year=year)
    counter = RegisterCounter.objects.select_for_update().get(direction=direction, year=year)
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return year, counter.last_sequence


def register_number(direction: str, year: int, sequence: int) -> str:
    return f"{choices.REGISTER_PREFIX[choices.Direction(direction)]}-{year}-{sequence:05d}"


def _register(document: Document) -> None:
    if document.direction not in choices.REGISTERED:
        return
    now = timezone.now()
    year, sequence = register_next(direction=document.direction, when=now)
    document.register_year, document.register_sequence = year, sequence
    document.register_number = register_number(document.direction, year, sequence)
    document.registered_at = now


def _store_version(
    *,
    document: Document,
    user: Any,
    content: File[bytes],
    inspected: files.Inspected,
    comment: str,
) -> DocumentVersion:
    """Add the next version under the document's row lock (taken by the caller)."""
    last = document.versions.aggregate(last=Max("number"))["last"] or 0
    content.seek(0)
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    version = DocumentVersion(
        document=document,
        number=last + 1,
        filename=inspected.filename,
        content_type=inspected.content_type,
        size=inspected.size,
        sha256=digest.hexdigest(),
        comment=comment[:255],
        uploaded_by=user,
    )
    content.seek(0)
    version.file.save("upload", content, save=False)
    try:
        with acting_as(user):
            version.save()
            document.current_version = version
            document.save(update_fields=["current_version"])
    except Exception:
        version.file.delete(save=False)
        raise
    return version


def _size(content: File[bytes]) -> int | None:
    try:
        return int(content.size)
    except (AttributeError, TypeError, ValueError, OSError):
        return None


def _check_kind(user: Any, kind: str) -> None:
    """Refuse filing a document its author could not see afterwards (a confidential kind from a
    role without the confidential permission)."""
    if kind in choices.CONFIDENTIAL_KINDS and not access.can_see_confidential(user):
        raise DocumentError(
            fields={"kind": [_("Your role may not file contracts, invoices and the like.")]}
        )


def _as_file(upload: IO[bytes] | bytes) -> File[bytes]:
    if isinstance(upload, bytes):
        return ContentFile(upload)
    return upload if isinstance(upload, File) else File(upload)


@transaction.atomic
def document_create(
    *,
    user: Any,
    record: Model,
    kind: str,
    title: str,
    upload: IO[bytes] | bytes,
    filename: str,
    number: str = "",
    date: date | None = None,
    direction: str = choices.Direction.INTERNAL,
    correspondent_account: Any = None,
    correspondent_contact: Any = None,
    comment: str = "",
) -> Document:
    """Attach a new document with its first file to `record`.

    Requires the right to change the record; the file is checked by content
    (`files.inspect_upload`). Incoming and outgoing documents get the register's next number.
    A confidential kind (contract, invoice...) only from a role that may read such documents.
    """
    _check_kind(user, kind)
    return _create(
        user=user,
        record=record,
        upload=upload,
        filename=filename,
        comment=comment,
        fields={
            "kind": kind,
            "title": title.strip(),
            "number": number.strip(),
            "date": date,
            "direction": direction,
            "correspondent_account": correspondent_account,
            "correspondent_contact": correspondent_contact,
        },
    )


def _create(
    *,
    user: Any,
    record: Model,
    upload: IO[bytes] | bytes,
    filename: str,
    comment: str,
    fields: dict[str, Any],
) -> Document:
    _check_record(record)
    _require(user, record)
    content = _as_file(upload)
    inspected = files.inspect_upload(stream=content, filename=filename, size=_size(content))
    document = Document(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        created_by=user,
        **fields,
    )
    _check_correspondents(user, document)
    _validate(document)
    _register(document)
    with acting_as(user):
        document.save()
    _store_version(
        document=document, user=user, content=content, inspected=inspected, comment=comment
    )
    return document


@transaction.atomic
def document_add_version(
    *, user: Any, document: Document, upload: IO[bytes] | bytes, filename: str, comment: str = ""
) -> DocumentVersion:
    """Upload the next version of a document (v n+1); earlier versions stay downloadable."""
    locked = _lock(user, document)
    content = _as_file(upload)
    inspected = files.inspect_upload(stream=content, filename=filename, size=_size(content))
    return _store_version(
        document=locked, user=user, content=content, inspected=inspected, comment=comment
    )


def _lock(user: Any, document: Document) -> Document:
    locked: Document = Document.objects.select_for_update().get(pk=document.pk)
    record = _record_of(locked)
    _require(user, record)
    locked.record = record
    return locked


def _record_of(document: Document) -> Model:
    model = document.content_type.model_class()
    if model is None:
        raise NotFoundError()
    record: Model | None = model._default_manager.filter(pk=document.object_id).first()
    if record is None:
        raise NotFoundError()
    return record


@transaction.atomic
def document_update(
    *, user: Any, document: Document, expected_version: int, data: dict[str, Any]
) -> Document:
    """Edit a document's kind, title, number, date or correspondents (not its direction, nor
    its register number), if nobody saved it since `expected_version`."""
    unknown = set(data) - EDITABLE
    if unknown:
        raise DocumentError(fields={name: [_("This field cannot be changed.")] for name in unknown})
    if "kind" in data:
        _check_kind(user, data["kind"])
    current = _lock(user, document)
    preview = Document.objects.get(pk=current.pk)
    for name, value in data.items():
        setattr(preview, name, value)
    _check_correspondents(user, preview)
    _validate(preview)
    try:
        return versioned_update(
            instance=current, expected_version=expected_version, changes=data, user=user
        )
    except ValidationError as error:
        raise DocumentError(_("Some values are not valid."), fields=error.message_dict) from None


@transaction.atomic
def document_delete(*, user: Any, document: Document) -> Document:
    """Move a document to the trash (audited as a change of `deleted_at`); its files stay until
    the trash is purged. Requires the right to change the record."""
    locked = _lock(user, document)
    if locked.deleted_at is not None:
        return locked
    locked.deleted_at = timezone.now()
    locked.deleted_by = user
    with acting_as(user):
        locked.save(update_fields=["deleted_at", "deleted_by"])
    return locked


def version_downloaded(*, user: Any, version: DocumentVersion) -> None:
    """Record a download of a confidential kind (contract, invoice...) in the audit trail."""
    document = version.document
    if not document.is_confidential_kind:
        return
    with acting_as(user):
        log_event(
            obj=document,
            action=LogEntry.Action.ACCESS,
            data={"event": "download", "version": version.number, "kind": document.kind},
        )


# --- Generated documents ----------------------------------------------------------------------


@transaction.atomic
def document_generate(
    *,
    record: Model,
    kind: str,
    template: str,
    context: dict[str, Any],
    fmt: str,
    actor: Any,
    title: str = "",
    direction: str = choices.Direction.INTERNAL,
) -> Document:
    """Render `template` ("quote", "contract", "order_confirmation") with the caller's plain
    `context` as DOCX (docxtpl, the administrators' template if one was uploaded) or PDF
    (`core.pdf`), and store it on `record` as a Document: the next version of the live document
    generated from the same template on that record, or a new one.

    Requires `actor` to be allowed to change the record.
    """
    _check_record(record)
    _require(actor, record)
    if template not in choices.TemplateKey.values:
        raise TemplateError(fields={"template": [_("Unknown template.")]})
    if fmt not in choices.Format.values:
        raise TemplateError(fields={"fmt": [_("Choose docx or pdf.")]})
    key = choices.TemplateKey(template)
    data = generation.render(key=key, context=context, fmt=fmt, custom=_custom_template(key))
    filename = generation.filename_for(key=key, context=context, fmt=fmt)
    existing = (
        Document.objects.select_for_update()
        .filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            template_key=key,
        )
        .order_by("-pk")
        .first()
    )
    if existing is None:
        return _create(
            user=actor,
            record=record,
            upload=data,
            filename=filename,
            comment="",
            fields={
                "kind": kind,
                "title": title or generation.title_for(key=key, context=context),
                "number": str(context.get("number", ""))[:64],
                "date": generation.context_date(context),
                "direction": direction,
                "template_key": key,
            },
        )
    document_add_version(user=actor, document=existing, upload=data, filename=filename)
    existing.refresh_from_db()
    return existing


def _custom_template(key: str) -> bytes | None:
    template = DocumentTemplate.objects.filter(key=key).first()
    if template is None:
        return None
    with template.file.open("rb") as handle:
        content: bytes = handle.read()
    return content


def template_check(
    *, key: str, upload: IO[bytes] | bytes, filename: str
) -> tuple[bytes, files.Inspected]:
    """Whether `upload` can be the template of `key`: a DOCX that renders with the template's
    sample context, every placeholder known. Answers its bytes; raises with the reason."""
    if key not in choices.TemplateKey.values:
        raise TemplateError(fields={"key": [_("Unknown template.")]})
    content = _as_file(upload)
    inspected = files.inspect_upload(stream=content, filename=filename, size=_size(content))
    if inspected.file_type.key != "docx":
        raise TemplateError(fields={"file": [_("A template must be a Word (DOCX) file.")]})
    content.seek(0)
    raw = content.read()
    generation.check_template(key=choices.TemplateKey(key), content=raw)
    return raw, inspected


@transaction.atomic
def template_upload(
    *, user: Any, key: str, upload: IO[bytes] | bytes, filename: str
) -> DocumentTemplate:
    """Replace the DOCX template of `key` with an administrator's own. The file must be a DOCX
    that renders with the template's sample context (every placeholder known)."""
    if not access.can_administer(user):
        raise PermissionDeniedError(_("Only an administrator can change document templates."))
    raw, inspected = template_check(key=key, upload=upload, filename=filename)
    template = DocumentTemplate.objects.select_for_update().filter(key=key).first()
    old_file = template.file.name if template else None
    template = template or DocumentTemplate(key=key)
    template.filename = inspected.filename
    template.uploaded_by = user
    template.file.save("template.docx", ContentFile(raw), save=False)
    with acting_as(user):
        template.save()
    if old_file:
        name = old_file
        transaction.on_commit(lambda: template.file.storage.delete(name))
    return template


@transaction.atomic
def template_reset(*, user: Any, key: str) -> None:
    """Go back to the shipped template of `key`."""
    if not access.can_administer(user):
        raise PermissionDeniedError(_("Only an administrator can change document templates."))
    template = DocumentTemplate.objects.filter(key=key).first()
    if template is not None:
        name = str(template.file.name)
        storage = template.file.storage
        with acting_as(user):
            template.delete()
        transaction.on_commit(lambda: storage.delete(name))
