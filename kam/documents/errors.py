from kam.core.errors import ApplicationError


class DocumentError(ApplicationError):
    code = "invalid_document"


class UploadRefusedError(DocumentError):
    """The file itself was refused: too big, empty, or content of a type that is not allowed."""

    code = "upload_refused"


class TemplateError(DocumentError):
    code = "invalid_template"
