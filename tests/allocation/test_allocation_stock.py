"""The housing stock: one dwelling at a time, or a CSV file imported all-or-nothing with every bad row reported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allocation.models import Dwelling
from allocation.services import stock
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from tests.allocation.allocation_support import english  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = "settlement,fund,reference,address,rooms,useful_area,floor,wheelchair_accessible,has_lift,accessibility_notes,condition"
GOOD = [
    "almaty,communal,KAD-001,\"Алматы қ., Абай даңғ., 10, 5 п.\",1,32.5,3,no,yes,,good",
    "almaty,communal,KAD-002,\"Алматы қ., Абай даңғ., 10, 6 п.\",2,48,1,yes,no,пандус,needs_repair",
    "almaty,state_institution,KAD-003,\"Алматы қ., Сейфуллин к., 7, 12 п.\",3,\"74,20\",5,,,,good",
]


def csv_bytes(*lines, header=HEADER, sep=",") -> bytes:
    text = "\n".join([header, *lines]) + "\n"
    return text.replace(",", sep).encode() if sep != "," else text.encode()


def test_a_good_file_is_imported_whole(users):
    report = stock.import_dwellings_csv(users["admin"], csv_bytes(*GOOD))
    assert report.ok and report.rows == 3 and len(report.created) == 3
    second = Dwelling.objects.get(reference="KAD-002")
    assert second.wheelchair_accessible and not second.has_lift and second.accessibility_notes == "пандус"
    assert str(Dwelling.objects.get(reference="KAD-003").useful_area) == "74.20"
    assert set(Dwelling.objects.values_list("status", flat=True)) == {"available"}


def test_bad_rows_are_all_reported_with_line_and_column_and_nothing_is_saved(users):
    content = csv_bytes(
        GOOD[0],
        "nowhere,communal,KAD-010,Somewhere 1,2,40,2,no,no,,good",  # line 3: unknown settlement
        "almaty,private,KAD-011,Somewhere 2,0,-5,x,maybe,no,,new",  # line 4: five problems
        "almaty,communal,KAD-001,Somewhere 3,1,30,1,no,no,,good",  # line 5: same reference as line 2
        "almaty,communal,KAD-012,Somewhere 4,1,30",  # line 6: too few values
        GOOD[1],
    )
    report = stock.import_dwellings_csv(users["admin"], content)
    assert not report.ok and report.created == []
    assert not Dwelling.objects.exists()
    found = {(e.line, e.column) for e in report.errors}
    assert (3, "settlement") in found
    assert {(4, "fund"), (4, "rooms"), (4, "useful_area"), (4, "floor"), (4, "wheelchair_accessible"),
            (4, "condition")} <= found
    assert (5, "reference") in found and (6, "") in found
    assert not {e.line for e in report.errors} & {2, 7}  # good rows have no errors
    assert [e.line for e in report.errors] == sorted(e.line for e in report.errors)


def test_a_reference_already_in_the_stock_is_a_row_error(users):
    stock.import_dwellings_csv(users["admin"], csv_bytes(GOOD[0]))
    report = stock.import_dwellings_csv(users["admin"], csv_bytes(GOOD[1], GOOD[0]))
    assert [(e.line, e.column) for e in report.errors] == [(3, "reference")]
    assert Dwelling.objects.count() == 1


def test_semicolons_a_bom_and_optional_columns_are_understood(users):
    header = "settlement;fund;reference;address;rooms;useful_area;floor;condition"
    content = "\ufeff".encode() + (header + "\nalmaty;communal;KAD-100;Абай 1;1;31,5;2;good\n").encode()
    report = stock.import_dwellings_csv(users["admin"], content)
    assert report.ok and Dwelling.objects.get().useful_area == Dwelling.objects.get().useful_area.__class__("31.50")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    ("неверно".encode("cp1251"), "UTF-8"),
    (csv_bytes(header="settlement,fund,reference"), "Missing columns"),
    (csv_bytes(header=HEADER + ",price"), "Unknown columns: price"),
    (csv_bytes(), "no dwellings"),
])
def test_file_level_problems_are_one_clear_message(users, content, message):
    with pytest.raises(ServiceError, match=message):
        stock.import_dwellings_csv(users["admin"], content)
    assert not Dwelling.objects.exists()


def test_too_many_rows_are_refused(users, monkeypatch):
    monkeypatch.setattr(stock, "MAX_ROWS", 2)
    with pytest.raises(ServiceError, match="At most 2"):
        stock.import_dwellings_csv(users["admin"], csv_bytes(*GOOD))


def test_only_the_administrator_imports(users):
    for name in ("head", "auditor", "clerk", "citizen"):
        with pytest.raises(NotPermitted):
            stock.import_dwellings_csv(users[name], csv_bytes(*GOOD))


def test_the_import_page_shows_the_error_table(login, users, settings):
    client = login(users["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    bad = csv_bytes(GOOD[0], "almaty,communal,KAD-2,=cmd|' /C calc'!A0,1,abc,2,no,no,,good")
    response = client.post(reverse("allocation:dwelling_import"), {"file": SimpleUploadedFile("stock.csv", bad)})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-error-line="3"' in body and "useful_area" in body
    assert not Dwelling.objects.exists()
    response = client.post(reverse("allocation:dwelling_import"), {"file": SimpleUploadedFile("stock.csv", csv_bytes(*GOOD))})
    assert response.status_code == 302 and Dwelling.objects.count() == 3


def test_one_dwelling_is_registered_from_the_form(login, users, department, settings):
    client = login(users["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {"settlement": department.settlement.pk, "fund": "communal", "reference": "ONE-1", "address": "Абай 2",
            "rooms": 2, "useful_area": "45.5", "floor": 4, "has_lift": "on", "condition": "good"}
    assert client.post(reverse("allocation:dwelling_add"), data).status_code == 302
    response = client.post(reverse("allocation:dwelling_add"), data)  # the same reference again
    assert response.status_code == 400 and "already registered" in response.content.decode()
    response = client.post(reverse("allocation:dwelling_add"), {**data, "reference": "ONE-2", "rooms": 0})
    assert response.status_code == 400
    assert Dwelling.objects.count() == 1 and Dwelling.objects.get().has_lift
