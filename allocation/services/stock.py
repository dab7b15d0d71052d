"""The housing stock: dwellings that became available, one by one or from a CSV file.

CSV import is all or nothing: every row is checked first and every problem is reported with its line number
and column; if any row is bad nothing is saved, so a corrected file can simply be uploaded again (no half
imports to reconcile). Columns (header row required, comma or semicolon separated, UTF-8, BOM allowed):

    settlement,fund,reference,address,rooms,useful_area,floor,wheelchair_accessible,has_lift,accessibility_notes,condition

`settlement` is the settlement code, `fund` communal / state_enterprise / state_institution, `condition`
good / needs_repair, the yes/no columns accept yes/no, true/false, 1/0 (and иә/жоқ, да/нет); empty means no.
The last four columns may be left out.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Settlement
from applications.services.errors import ServiceError
from audit.services import record_event
from queues.models import Fund

from ..models import Dwelling, DwellingCondition, DwellingStatus
from .common import require

COLUMNS = ("settlement", "fund", "reference", "address", "rooms", "useful_area", "floor", "wheelchair_accessible",
           "has_lift", "accessibility_notes", "condition")
OPTIONAL_COLUMNS = frozenset({"wheelchair_accessible", "has_lift", "accessibility_notes"})
MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
MAX_ROOMS = 20
MAX_AREA = Decimal("1000")
TRUE = frozenset({"yes", "true", "1", "y", "иә", "ия", "да", "+"})
FALSE = frozenset({"no", "false", "0", "n", "жоқ", "нет", "-", ""})


@dataclass
class RowError:
    line: int  # line of the file (the header is line 1)
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _validated(dwelling: Dwelling) -> dict:
    """Model validation (choices, ranges) as {field: [messages]}; the unique reference is checked separately."""
    try:
        dwelling.full_clean(exclude=["provider", "settlement", "registered_by", "status"], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _range_errors(dwelling: Dwelling) -> dict:
    errors = {}
    if dwelling.rooms is not None and dwelling.rooms > MAX_ROOMS:
        errors["rooms"] = [_("At most %(n)d rooms.") % {"n": MAX_ROOMS}]
    if dwelling.useful_area is not None and Decimal(dwelling.useful_area) > MAX_AREA:
        errors["useful_area"] = [_("At most %(n)s m².") % {"n": MAX_AREA}]
    if dwelling.floor is not None and not -3 <= dwelling.floor <= 200:
        errors["floor"] = [_("The floor must be between -3 and 200.")]
    return errors


def register_dwelling(actor, *, settlement, fund, reference, address, rooms, useful_area, floor, condition,
                      wheelchair_accessible=False, has_lift=False, accessibility_notes="") -> Dwelling:
    """One dwelling, checked like an imported row; the reference is unique within the department."""
    require(actor, "manage_allocation", getattr(settlement, "provider_id", None))
    dwelling = Dwelling(
        provider_id=settlement.provider_id, settlement=settlement, fund=fund, reference=(reference or "").strip(),
        address=(address or "").strip(), rooms=rooms, useful_area=useful_area, floor=floor, condition=condition,
        wheelchair_accessible=bool(wheelchair_accessible), has_lift=bool(has_lift),
        accessibility_notes=(accessibility_notes or "").strip(), registered_by=actor,
    )
    errors = {**_validated(dwelling), **_range_errors(dwelling)}
    if errors:
        first_field, messages = next(iter(errors.items()))
        label = Dwelling._meta.get_field(first_field).verbose_name if first_field != "__all__" else ""
        raise ServiceError(f"{label}: {messages[0]}" if label else messages[0])
    try:
        with transaction.atomic():
            dwelling.save()
            record_event(actor=actor, action="allocation.dwelling_registered", obj=dwelling,
                         data={"reference": dwelling.reference, "settlement": settlement.code})
    except IntegrityError:
        raise ServiceError(_("A dwelling with this reference is already registered in the department.")) from None
    return dwelling


def withdraw_dwelling(dwelling, actor) -> Dwelling:
    """Out of the stock (sold, demolished, given to another programme): only while it is in no round."""
    with transaction.atomic():
        locked = Dwelling.objects.select_for_update().get(pk=dwelling.pk)
        require(actor, "manage_allocation", locked.provider_id)
        if locked.status != DwellingStatus.AVAILABLE:
            raise ServiceError(_("Only an available dwelling that is in no round can be withdrawn."))
        locked.status = DwellingStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        record_event(actor=actor, action="allocation.dwelling_withdrawn", obj=locked, data={})
    return locked


# --- CSV ----------------------------------------------------------------------------------------------------------

def _decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise ServiceError(_("The file is too large (at most %(n)d MB).") % {"n": MAX_BYTES // (1024 * 1024)})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_("The file is not UTF-8 text. Save it from the spreadsheet as \"CSV UTF-8\".")) from None
    if "\x00" in text:
        raise ServiceError(_("The file is not a CSV text file."))
    if not text.strip():
        raise ServiceError(_("The file is empty."))
    return text


def _reader(text: str):
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _header(row) -> list[str]:
    names = [(name or "").strip().lower() for name in row]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ServiceError(_("Unknown columns: %(names)s. The columns are: %(all)s.") % {
            "names": ", ".join(n or "''" for n in unknown), "all": ", ".join(COLUMNS)})
    missing = [c for c in COLUMNS if c not in names and c not in OPTIONAL_COLUMNS]
    if missing:
        raise ServiceError(_("Missing columns: %(names)s.") % {"names": ", ".join(missing)})
    if len(set(names)) != len(names):
        raise ServiceError(_("A column appears twice in the header."))
    return names


def _parse_int(value, column, errors, line):
    try:
        return int(value.strip())
    except ValueError:
        errors.append(RowError(line, column, _("Not a whole number: %(v)s") % {"v": value[:40]}))
        return None


def _parse_bool(value, column, errors, line):
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    errors.append(RowError(line, column, _("Write yes or no, not %(v)s") % {"v": value[:40]}))
    return False


def _parse_row(provider, settlements: dict, values: dict, line: int, actor) -> tuple[Dwelling | None, list]:
    errors: list[RowError] = []
    settlement = settlements.get(values.get("settlement", "").strip().lower())
    if settlement is None:
        errors.append(RowError(line, "settlement", _("No settlement with the code %(v)s in this department.") % {
            "v": values.get("settlement", "")[:40]}))
    fund = values.get("fund", "").strip().lower()
    if fund not in Fund.values:
        errors.append(RowError(line, "fund", _("The fund is one of: %(all)s.") % {"all": ", ".join(Fund.values)}))
    condition = values.get("condition", "").strip().lower()
    if condition not in DwellingCondition.values:
        errors.append(RowError(line, "condition", _("The condition is one of: %(all)s.") % {
            "all": ", ".join(DwellingCondition.values)}))
    rooms = _parse_int(values.get("rooms", ""), "rooms", errors, line)
    floor = _parse_int(values.get("floor", ""), "floor", errors, line)
    area = None
    raw_area = values.get("useful_area", "").strip().replace(",", ".").replace(" ", "")
    try:
        area = Decimal(raw_area)
        if not area.is_finite():
            raise InvalidOperation
        if area != area.quantize(Decimal("0.01")):
            errors.append(RowError(line, "useful_area", _("At most two decimal places.")))
            area = None
    except InvalidOperation:
        errors.append(RowError(line, "useful_area", _("Not a number: %(v)s") % {"v": raw_area[:40]}))
    dwelling = Dwelling(
        provider=provider, settlement=settlement, fund=fund, reference=values.get("reference", "").strip(),
        address=values.get("address", "").strip(), rooms=rooms, useful_area=area, floor=floor, condition=condition,
        wheelchair_accessible=_parse_bool(values.get("wheelchair_accessible", ""), "wheelchair_accessible", errors, line),
        has_lift=_parse_bool(values.get("has_lift", ""), "has_lift", errors, line),
        accessibility_notes=values.get("accessibility_notes", "").strip(), registered_by=actor,
    )
    parsed_columns = {e.column for e in errors}
    for name, messages in {**_validated(dwelling), **_range_errors(dwelling)}.items():
        if name not in parsed_columns:
            errors.append(RowError(line, name, messages[0]))
    return (None if errors else dwelling), errors


def import_dwellings_csv(actor, content: bytes) -> ImportReport:
    """Check every row, then save all of them in one transaction — or none, with every error listed."""
    provider_id = getattr(actor, "provider_id", None)
    require(actor, "manage_allocation", provider_id)
    text = _decode(content)
    rows = _reader(text)
    try:
        header = _header(next(rows))
    except csv.Error:
        raise ServiceError(_("The file could not be read as CSV.")) from None
    settlements = {s.code.lower(): s for s in Settlement.objects.filter(provider_id=provider_id)}
    from accounts.models import Provider

    provider = Provider.objects.get(pk=provider_id)
    report = ImportReport()
    dwellings, seen = [], {}
    try:
        for line, row in enumerate(rows, start=2):
            if not any((cell or "").strip() for cell in row):
                continue  # blank lines (a trailing newline from a spreadsheet)
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise ServiceError(_("At most %(n)d dwellings per file; split the file.") % {"n": MAX_ROWS})
            if len(row) != len(header):
                report.errors.append(RowError(line, "", _("%(got)d values for %(want)d columns.") % {
                    "got": len(row), "want": len(header)}))
                continue
            dwelling, errors = _parse_row(provider, settlements, dict(zip(header, row, strict=True)), line, actor)
            report.errors.extend(errors)
            reference = dict(zip(header, row, strict=True)).get("reference", "").strip()
            if reference:
                if reference in seen:
                    report.errors.append(RowError(line, "reference", _("The same reference as line %(n)d.") % {
                        "n": seen[reference]}))
                    dwelling = None
                seen.setdefault(reference, line)
            if dwelling is not None:
                dwellings.append((line, dwelling))
    except csv.Error as exc:
        raise ServiceError(_("The file could not be read as CSV (%(error)s).") % {"error": str(exc)[:100]}) from None
    if report.rows == 0:
        raise ServiceError(_("The file has a header but no dwellings."))
    taken = set(Dwelling.objects.filter(provider_id=provider_id, reference__in=list(seen)).values_list("reference", flat=True))
    for line, dwelling in dwellings:
        if dwelling.reference in taken:
            report.errors.append(RowError(line, "reference", _("Already registered in the department.")))
    if report.errors:
        report.errors.sort(key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
        return report
    try:
        with transaction.atomic():
            report.created = Dwelling.objects.bulk_create([d for _line, d in dwellings])
            record_event(actor=actor, action="allocation.dwellings_imported", obj=("allocation.import", str(provider_id)),
                         data={"count": len(report.created), "references": sorted(seen)[:200]})
    except IntegrityError:
        raise ServiceError(_("Some of these references were registered meanwhile; nothing was saved. "
                             "Upload the file again to see which.")) from None
    return report
