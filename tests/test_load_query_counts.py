"""Query counts of the pages the load benchmark measures (bench/load_bench.py, issue 8): no query per case.

The staff inbox is pinned in tests/web/test_web_pages.py (test_inbox_query_count_does_not_grow_with_cases); this
file pins the citizen cabinet, which lists every case of the person (active ones and closed ones).
"""

import pytest
from django.urls import reverse

from applications.models import Application, CaseState
from applications.services.intake import accept_application
from tests.factories import CITIZEN_IIN, intake_request
from tests.web.web_support import adults

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

CABINET_MAX_QUERIES = 8  # session, user, draft, the cases with their list/category/settlement, layout extras


def _closed_cases(department, users, count):
    """`count` closed cases of the demo citizen (one active case per provider is the rule, closed ones pile up)."""
    citizen = next(p for p in adults() if p.iin == CITIZEN_IIN)
    for _n in range(count):
        case = accept_application(intake_request(department, users["operator"], person=citizen))
        # the test only needs history rows: a closed case, whatever its path there
        Application.objects.filter(pk=case.pk).update(state=CaseState.WITHDRAWN)


def test_cabinet_query_count_does_not_grow_with_cases(department, users, login, django_assert_max_num_queries):
    client = login(users["citizen"])
    client.get(reverse("applications:cabinet"))  # warm caches (session, content types)
    _closed_cases(department, users, 1)
    with django_assert_max_num_queries(CABINET_MAX_QUERIES) as one:
        response = client.get(reverse("applications:cabinet"))
    assert response.status_code == 200 and len(response.context["cases"]) == 1
    _closed_cases(department, users, 9)
    with django_assert_max_num_queries(CABINET_MAX_QUERIES) as ten:
        response = client.get(reverse("applications:cabinet"))
    assert len(response.context["cases"]) == 10
    assert len(ten.captured_queries) == len(one.captured_queries), "\n".join(q["sql"] for q in ten.captured_queries)
