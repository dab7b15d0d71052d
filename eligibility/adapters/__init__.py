"""State-system adapters: a real interface each, with a local simulator seeded with demo people.

Which implementation is used is configuration (settings.KEZEK_STATE_SYSTEMS); production plugs the
e-government gateway clients in behind the same interfaces.
"""

from .individuals import FamilyLink, IndividualsRegistry, PersonRecord, get_individuals_registry
from .notary import PowerOfAttorneyCheck, get_notary_registry

__all__ = [
    "FamilyLink",
    "IndividualsRegistry",
    "PersonRecord",
    "PowerOfAttorneyCheck",
    "get_individuals_registry",
    "get_notary_registry",
]
