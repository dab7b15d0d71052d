from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A business-rule refusal with a translated message for the user; nothing was changed."""

    message = _("The request could not be completed.")

    def __init__(self, message=None, **details):
        super().__init__(str(message or self.message))
        self.user_message = message or self.message
        self.details = details


class DuplicateApplication(ServiceError):
    message = _("You already have an active application with this department. It is shown below.")

    def __init__(self, existing, message=None):
        super().__init__(message)
        self.existing = existing


class IncompletePackage(ServiceError):
    message = _("The document package is incomplete.")


class MissingConsent(ServiceError):
    message = _("All three consents are required to file an application.")


class PersonDataMismatch(ServiceError):
    message = _("The personal data do not match the IIN.")


class StateSystemError(ServiceError):
    message = _("The state database did not answer. Please try again in a few minutes.")
