"""What an uploaded file is, decided by its content (never by its name), and a safe name for it.

Allowed: PDF; DOCX, XLSX, PPTX (zip containers whose [Content_Types].xml names the right main
part; macro-enabled ones are refused); ODT; PNG, JPEG, GIF, WebP; plain text and CSV; e-mail
messages (.eml). Everything else, and anything that is HTML, SVG, XML, a script or a program
whatever its name, is refused with the reason.
"""

from __future__ import annotations

import email.parser
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kam.documents.errors import UploadRefusedError

HEAD = 8192
MAX_CONTENT_TYPES_XML = 1 << 20
MAX_NAME = 150


@dataclass(frozen=True)
class FileType:
    key: str
    mime: str
    extensions: tuple[str, ...]  # the first is the one added to a name without extension
    label: str


TYPES = {
    t.key: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",), "PDF"),
        FileType(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "Word (DOCX)",
        ),
        FileType(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            "Excel (XLSX)",
        ),
        FileType(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            (".pptx",),
            "PowerPoint (PPTX)",
        ),
        FileType("odt", "application/vnd.oasis.opendocument.text", (".odt",), "OpenDocument"),
        FileType("png", "image/png", (".png",), "PNG"),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
        FileType("gif", "image/gif", (".gif",), "GIF"),
        FileType("webp", "image/webp", (".webp",), "WebP"),
        FileType("text", "text/plain", (".txt", ".text", ".log", ".md"), _("plain text")),
        FileType("csv", "text/csv", (".csv",), "CSV"),
        FileType("eml", "message/rfc822", (".eml",), _("e-mail message")),
    )
}
# The main part each Office Open XML container must declare.
OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
MACRO_ENABLED = "macroenabled"
_IMAGE_KEYS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
_EXECUTABLES = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/wasm",
    "application/x-shockwave-flash",
    "application/x-deb",
    "application/x-rpm",
    "application/x-google-chrome-extension",
}
_MARKUP = re.compile(
    rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|style|a\s)",
    re.IGNORECASE,
)
_MARKUP_ANYWHERE = re.compile(rb"<\s*(?:script|iframe|svg|html|object|embed)[\s>/]", re.IGNORECASE)
_EML_HEADERS = {"from", "to", "subject", "date", "received", "message-id", "mime-version"}
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


@dataclass(frozen=True)
class Inspected:
    file_type: FileType
    filename: str
    size: int
    charset: str = ""  # "; charset=utf-8" for text

    @property
    def content_type(self) -> str:
        """The type stored and served: text says its encoding (UTF-8 or Windows-1251)."""
        return self.file_type.mime + self.charset


def max_bytes() -> int:
    return int(settings.KAM_UPLOAD_MAX_BYTES)


def inspect_upload(*, stream: IO[bytes], filename: str, size: int | None = None) -> Inspected:
    """Check an upload and name what it is; raise UploadRefusedError with the reason otherwise.

    Reads the stream (rewound afterwards); never trusts `filename` or a client's content type.
    """
    limit = max_bytes()
    if size is not None and size > limit:
        raise _too_large(limit)  # known before reading a byte
    data = _read_limited(stream, limit)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise UploadRefusedError(fields={"file": [_("The file is empty.")]})
    name, file_type = safe_filename(filename, detect(data))
    charset = ""
    if file_type.mime.startswith("text/"):
        charset = "; charset=utf-8" if _is_utf8(data) else "; charset=windows-1251"
    return Inspected(file_type=file_type, filename=name, size=len(data), charset=charset)


# What a multipart body may add to the file: boundaries, headers and the metadata fields.
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized_body(content_length: str | None) -> None:
    """Refuse a request whose announced body cannot hold an allowed file (before it is read)."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > max_bytes() + MULTIPART_OVERHEAD:
        raise _too_large(max_bytes())


def _too_large(limit: int) -> UploadRefusedError:
    return UploadRefusedError(
        _("The file is larger than the %(limit)s allowed.") % {"limit": filesizeformat(limit)},
        fields={"file": [_("The file is too large.")]},
    )


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    stream.seek(0)
    data = stream.read(limit + 1)
    stream.seek(0)
    return data


def _refuse(reason: str) -> UploadRefusedError:
    return UploadRefusedError(
        _("This file was refused: %(reason)s") % {"reason": reason}, fields={"file": [reason]}
    )


def detect(data: bytes) -> FileType:
    """The allowed type `data` holds, by its bytes alone."""
    guess = filetype.guess(data[:HEAD])
    mime = guess.mime if guess is not None else ""
    if mime in _EXECUTABLES or data.startswith((b"MZ", b"\x7fELF")):
        raise _refuse(_("it is an executable program."))
    if mime == "application/pdf":
        return TYPES["pdf"]
    if mime in _IMAGE_KEYS:
        return TYPES[_IMAGE_KEYS[mime]]
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if guess is not None:
        raise _refuse(_("files of type %(mime)s are not accepted.") % {"mime": mime})
    return _text_type(data)


def _zip_type(data: bytes) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            if declared == TYPES["odt"].mime:
                return TYPES["odt"]
            raise _refuse(_("only OpenDocument text (ODT) is accepted of OpenDocument files."))
        if "[Content_Types].xml" not in names:
            raise _refuse(_("ZIP archives are not accepted."))
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > MAX_CONTENT_TYPES_XML:
            raise _refuse(_("the Office file is damaged."))
        declared = archive.read(info).decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError):
        raise _refuse(_("the file is a damaged or encrypted archive.")) from None
    if MACRO_ENABLED in declared:
        raise _refuse(_("Office files with macros are not accepted."))
    for key, main in OOXML_MAIN.items():
        if main in declared:
            return TYPES[key]
    raise _refuse(_("this kind of Office file is not accepted."))


def _text_type(data: bytes) -> FileType:
    head = data[:HEAD].removeprefix(b"\xef\xbb\xbf")
    if _MARKUP.match(head) or _MARKUP_ANYWHERE.search(head):
        raise _refuse(_("it contains HTML, SVG or XML markup."))
    if head.startswith(b"#!"):
        raise _refuse(_("it is a script."))
    text = _decode(data)
    if text is None:
        raise _refuse(_("its content is not of an accepted type."))
    return TYPES["eml"] if _looks_like_email(text) else TYPES["text"]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes) -> str | None:
    """The text of `data` if it is UTF-8 (or Windows-1251) text without control characters."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
            return None
        return text
    return None


def _looks_like_email(text: str) -> bool:
    headers = email.parser.HeaderParser().parsestr(text[:HEAD], headersonly=True)
    names = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Message is not a dict
    return len(names & _EML_HEADERS) >= 3 and bool(names & {"from", "received"})


def safe_filename(filename: str, file_type: FileType) -> tuple[str, FileType]:
    """A displayable name without paths or control characters, ending in the type's extension,
    and the type it is stored as.

    A name claiming another type (`invoice.pdf` holding text) is refused: the name would lie.
    Text named .csv is CSV; an e-mail named .txt is text.
    """
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").split("/")[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .") or "document"
    stem, extension = _split(name)
    if file_type.key == "text" and extension == ".csv":
        file_type = TYPES["csv"]
    if file_type.key == "eml" and extension in TYPES["text"].extensions:
        file_type = TYPES["text"]
    if extension and extension not in file_type.extensions:
        if extension in _ALL_EXTENSIONS or extension in _RISKY_EXTENSIONS:
            raise _refuse(
                _("it is named %(extension)s but its content is %(label)s.")
                % {"extension": extension, "label": file_type.label}
            )
        stem, extension = name, ""
    extension = extension or file_type.extensions[0]
    return stem[: MAX_NAME - len(extension)] + extension, file_type


def _split(name: str) -> tuple[str, str]:
    suffix = PurePosixPath(name).suffix.lower()
    if not suffix or len(suffix) > 6 or suffix == name.lower():
        return name, ""
    return name[: -len(suffix)], suffix


_ALL_EXTENSIONS = frozenset(ext for t in TYPES.values() for ext in t.extensions)
_RISKY_EXTENSIONS = frozenset(
    {".html", ".htm", ".svg", ".xml", ".xhtml", ".js", ".exe", ".bat", ".cmd", ".sh", ".ps1"}
    | {".docm", ".xlsm", ".pptm", ".zip", ".msi", ".dll", ".com", ".scr", ".jar", ".vbs"}
)
