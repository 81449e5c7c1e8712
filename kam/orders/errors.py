from __future__ import annotations

from kam.core.errors import ApplicationError


class OrderError(ApplicationError):
    code = "order_invalid"


class TransitionRefusedError(OrderError):
    code = "transition_refused"


class CreditLimitExceededError(OrderError):
    code = "credit_limit_exceeded"


class ApprovalRequiredError(OrderError):
    code = "approval_required"


class ApprovalError(ApplicationError):
    code = "approval_invalid"


class BonusError(ApplicationError):
    code = "bonus_invalid"


class QuoteError(ApplicationError):
    code = "quote_invalid"


class QuoteExpiredError(QuoteError):
    code = "quote_expired"
