from kam.core.errors import ApplicationError


class CatalogError(ApplicationError):
    code = "invalid_catalog"


class PricingError(ApplicationError):
    """The lines cannot be priced together (mixed currencies, nothing to price)."""

    code = "pricing_refused"
    default_message = "These lines cannot be priced together."


class AgreementTransitionError(ApplicationError):
    code = "agreement_transition"
    default_message = "The agreement cannot change to this status."
