"""Places in a queue list without the whole intake: for tests of the queue layer itself (queues/)."""

import itertools
from datetime import datetime, timedelta, timezone as dt_timezone

from accounts.models import Settlement
from applications.models import Application, Channel, Person
from eligibility.iin import check_digit
from queues.models import CategoryGroup, Fund, QueueList
from queues.services import entries

_counter = itertools.count(1)
BASE_TIME = datetime(2020, 1, 6, 4, 0, tzinfo=dt_timezone.utc)


def synthetic_iin(n: int) -> str:
    """A valid IIN (DOMAIN.md §8) for test person n: born 1980-01-01 + n days, male, serial 8000+."""
    birth = datetime(1980, 1, 1) + timedelta(days=n % 9000)
    for serial in range(8000 + n // 9000, 10000, 10):
        body = f"{birth:%y%m%d}3{serial:04d}"
        digit = check_digit(body)
        if digit is not None:
            return body + str(digit)
    raise ValueError(n)


def new_list(provider, code_hint: str = "") -> QueueList:
    n = next(_counter)
    settlement = Settlement.objects.create(provider=provider, code=f"t{n}{code_hint}"[:32], kind="republican_city",
                                           name_kk="Тест", name_ru="Тест", name_en="Test")
    return QueueList.objects.create(provider=provider, settlement=settlement, code=f"list-{n}", fund=Fund.COMMUNAL,
                                    category_group=CategoryGroup.GENERAL, name_kk="Тізім", name_ru="Список", name_en="List")


def new_place(queue_list, submitted_by, *, accepted_at=None, surname="Әбенов", given_name="Қайрат"):
    """A case accepted into `queue_list` at `accepted_at` (pending), with its place opened."""
    n = next(_counter)
    person = Person.objects.create(iin=synthetic_iin(n), surname=surname, given_name=given_name,
                                   birth_date=datetime(1980, 1, 1).date() + timedelta(days=n % 9000), sex="M")
    case = Application.objects.create(
        number=f"T-{n:07d}", provider=queue_list.provider, settlement=queue_list.settlement, fund=queue_list.fund,
        queue_list=queue_list, applicant=person, channel=Channel.PORTAL, regulation_profile="national-2025",
        accepted_at=accepted_at or BASE_TIME + timedelta(minutes=n), queue_seq=10**9 + n,
        submitted_by=submitted_by, contact_phone="+77010000000",
    )
    return entries.open_entry(case)
