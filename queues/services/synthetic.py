"""Synthetic applicants in the queue, loaded in bulk (`manage.py generate_queue`, the benchmarks).

Every row is a real one, so every page works on it: a person with a valid IIN (DOMAIN.md §8; serials
9000-9999, never one of the simulator's demo people), a case in state queued, a registered place with its
block and notified number, the list's hash-chained log (an `entered` and a `registered` event per place, built
with queues.services.ledger.event_fields, so verify_tool recomputes the same hashes) and its head, and the
block counters. About 3% of each list's places are historical: housed in one of the last five full years, so
wait estimates have a history to work from. All of it belongs to one synthetic provider, "bench".

On PostgreSQL the rows go in with COPY in one transaction; the per-row counter trigger is switched off for
that transaction only (kezek.bulk_load, queues/migrations/0003) and the counters are rebuilt before commit.
The rows of each list are built by pure functions from a picklable plan, so two processes build lists while
the main one copies. SQLite (demo only) takes the same rows through bulk_create.
"""

from __future__ import annotations

import bisect
import io
import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from eligibility.categories import CATEGORY_GROUPS

from ..models import BLOCK_SIZE, GENESIS_HASH, CategoryGroup, EntryStatus, EventKind, Fund, LedgerHead, QueueList
from .entries import initials_for, rebuild_blocks
from .ledger import event_fields

PROVIDER_CODE = "bench"
LOADER_USERNAME = "bench-loader"
HOUSED_SHARE = 0.03  # historical places per active place, housed in the last five full years
HISTORY_YEARS = 5
FIRST_KEY = datetime(2008, 1, 9, 3, 0, tzinfo=dt_timezone.utc)  # 09:00 in Almaty, the first working day of 2008
SERIAL_FLOOR = 9000  # synthetic IIN serials are 9000-9999 (tests use 8000+, the simulator far below)
BIRTH_FIRST, BIRTH_LAST = date(1950, 1, 1), date(1989, 12, 31)  # adults by 2008
CHUNK_ROWS = 50_000
SIMULATOR_PEOPLE = Path(__file__).resolve().parents[2] / "eligibility" / "adapters" / "simulator_people.json"
LISTS_PER_SETTLEMENT = len(CategoryGroup) * len(Fund)  # one list per group and fund (QueueList constraint)

SURNAMES = ("Серікбаев", "Нұрланов", "Қасымов", "Әбенов", "Жұмабаев", "Омаров", "Төлеубаев", "Ахметов", "Сейітов",
            "Мұхамедов", "Ысқақов", "Құрманов", "Оспанов", "Байжанов", "Тұрсынов", "Есенов", "Әлиев", "Садықов",
            "Қожахметов", "Ибраев", "Шәкенов", "Үсенов", "Бекенов", "Ғабдуллин", "Исаев", "Мамыров", "Рахымов")
MALE_NAMES = ("Ерлан", "Қайрат", "Асхат", "Нұрлан", "Дәурен", "Бауыржан", "Айдос", "Ержан", "Санжар", "Мұрат",
              "Тимур", "Арман", "Болат", "Жандос", "Серік", "Ғалым", "Әлішер", "Өмірзақ", "Ұлан", "Іляс")
FEMALE_NAMES = ("Айгүл", "Гүлнар", "Әсел", "Жанар", "Мөлдір", "Динара", "Салтанат", "Ақмарал", "Айнұр", "Сәуле",
                "Перизат", "Ұлжан", "Іңкәр", "Өсем", "Қарлығаш", "Шынар", "Эльмира", "Жазира", "Роза", "Зарина")
FATHER_NAMES = ("Марат", "Серік", "Болат", "Ахмет", "Қанат", "Нұрлан", "Жақсылық", "Оспан", "Төлеген", "Әбдіқадыр")


class GenerationError(Exception):
    """Bad arguments or a state the generator refuses to touch; the message says what to do."""


def female_surname(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ин")) else surname


# --- what to generate ----------------------------------------------------------------------------------------

def split_sizes(entries: int, lists: int, long_list: int | None = None) -> list[int]:
    """Active places per list: even, or one list of exactly `long_list` and the rest even over the others."""
    if entries <= 0:
        raise GenerationError("--entries must be a positive number")
    if lists <= 0:
        raise GenerationError("--lists must be a positive number")
    if lists > entries:
        raise GenerationError(f"--lists ({lists}) cannot exceed --entries ({entries}): every list needs a place")
    if long_list is None:
        return [entries // lists + (1 if k < entries % lists else 0) for k in range(lists)]
    rest, others = entries - long_list, lists - 1
    if long_list <= 0 or (others == 0 and rest != 0) or (others and rest < others):
        raise GenerationError(
            f"--long-list {long_list} does not fit: it must be positive, leave at least one place for each of the "
            f"other {others} lists, and equal --entries when there is one list"
        )
    return [long_list] + ([rest // others + (1 if k < rest % others else 0) for k in range(others)] if others else [])


def housed_for(active: int) -> int:
    return round(active * HOUSED_SHARE)


@dataclass
class ListPlan:
    """Everything a worker needs to build one list's rows without the database (picklable)."""

    list_id: int
    code: str
    settlement_id: int
    fund: str
    group: str
    active: int
    housed: int
    seed: int
    first_key_us: int
    last_key_us: int
    history_first_us: int
    history_last_us: int
    categories: list  # [(category_id or None, code)] to spread over the places
    iins: list  # one per place, in key order
    person_ids: list
    application_ids: list
    entry_ids: list
    queue_seqs: list
    tz_name: str


@dataclass
class ListRows:
    list_id: int
    persons: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    events: list = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


def _us(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def build_list(plan: ListPlan) -> ListRows:
    """The rows of one list, in key order: persons, cases, places and the hash chain (no database access).

    The earliest `housed` places were housed in the recorded history years (housing goes in queue order);
    every other place is registered and active. A place's notified number is its position on the day it was
    registered, so it never grows afterwards and the places housed since explain the difference.
    """
    rng = random.Random(plan.seed)
    tz = ZoneInfo(plan.tz_name)
    m = plan.active + plan.housed
    span = plan.last_key_us - plan.first_key_us
    step = span / m
    keys = [plan.first_key_us + int((i + rng.random() * 0.9) * step) for i in range(m)]
    registered = [k + rng.randint(3 * 86400, 30 * 86400) * 1_000_000 + rng.randint(0, 999_999) for k in keys]
    history = plan.history_last_us - plan.history_first_us
    housed_at = [max(plan.history_first_us + int((j + rng.random() * 0.9) * history / plan.housed),
                     registered[j] + 86400 * 10**6)  # never before the place was registered
                 for j in range(plan.housed)]
    housed_at.sort()

    rows = ListRows(plan.list_id)
    names = {}
    numbers, accepted, local_dates, initials, categories = [], [], [], [], []
    for i in range(m):
        iin = plan.iins[i]
        female = iin[6] in "246"
        surname = rng.choice(SURNAMES)
        given = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        if female:
            surname = female_surname(surname)
        patronymic = rng.choice(FATHER_NAMES) + (" қызы" if female else " ұлы")
        century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}[iin[6]]
        birth = date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
        rows.persons.append((plan.person_ids[i], iin, surname, given, patronymic, birth, "F" if female else "M"))

        at = _dt(keys[i])
        local = at.astimezone(tz)
        seq = plan.queue_seqs[i]
        number = f"BENCH-{local.year}-{seq:07d}"
        category_id, category_code = plan.categories[rng.randrange(len(plan.categories))]
        key = (surname, given)
        if key not in names:
            names[key] = initials_for(surname, given)
        numbers.append(number)
        accepted.append(at)
        local_dates.append(local.date())
        initials.append(names[key])
        categories.append(category_code)
        state = "housed" if i < plan.housed else "queued"
        rows.applications.append((plan.application_ids[i], number, plan.settlement_id, plan.fund, category_id,
                                  plan.list_id, plan.person_ids[i], state, at, seq,
                                  plan.group == CategoryGroup.EMERGENCY, f"+7701{seq % 10**7:07d}"))

    # the log, in the order things happened: each place entered at its key, registered days later; housing
    timeline = [(keys[i], 0, i) for i in range(m)] + [(registered[i], 1, i) for i in range(m)]
    timeline += [(housed_at[j], 2, j) for j in range(plan.housed)]
    timeline.sort()
    head = LedgerHead(queue_list_id=plan.list_id)
    place_hash = [""] * m
    kinds = (EventKind.ENTERED.value, EventKind.REGISTERED.value, EventKind.HOUSED.value)
    for at_us, kind_no, i in timeline:
        if kind_no == 0:
            data = {"initials": initials[i], "category": categories[i], "registered_on": local_dates[i].isoformat()}
        elif kind_no == 1:
            data = {}
        else:
            data = {"decision": f"BENCH-D-{_dt(at_us).year}-{plan.list_id}-{i + 1:06d}"}
        fields_ = event_fields(head, plan.code, kind=kinds[kind_no], number=numbers[i], accepted_at=accepted[i],
                               queue_seq=plan.queue_seqs[i], occurred_at=_dt(at_us), data=data)
        if kind_no == 0:
            place_hash[i] = fields_["hash"]
        rows.events.append((plan.list_id, fields_["seq"], fields_["kind"], plan.entry_ids[i], numbers[i], accepted[i],
                            plan.queue_seqs[i], fields_["occurred_at"], data, fields_["prev_hash"], fields_["hash"]))
    rows.head_seq, rows.head_hash = head.seq, head.hash

    for i in range(m):
        housed = i < plan.housed
        notified = i - bisect.bisect_left(housed_at, registered[i]) + 1  # places ahead still there that day, plus one
        rows.entries.append((plan.entry_ids[i], plan.list_id, plan.application_ids[i], plan.person_ids[i], accepted[i],
                             plan.queue_seqs[i], i // BLOCK_SIZE,
                             EntryStatus.HOUSED.value if housed else EntryStatus.REGISTERED.value, not housed,
                             initials[i], categories[i], local_dates[i], notified, _dt(registered[i]), place_hash[i],
                             _dt(housed_at[i]) if housed else None))
    return rows


# --- the tables: which columns vary per row, and constants for the rest ----------------------------------------

def _sql_literal(value) -> str:
    """One value in PostgreSQL's COPY CSV: NULL is empty and unquoted, text is always quoted."""
    if value is None:
        return ""
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(value, bytes):
        value = "\\x" + value.hex()
    value = str(value)
    return '"' + value.replace('"', '""') + '"'


class Table:
    """A model's concrete columns: the varying ones in a fixed order, every other one a constant.

    Constants are the caller's values or else the field's own default (auto_now → now; nullable → NULL),
    so a column added to the model later is filled without touching this module, or named if it cannot be.
    """

    def __init__(self, model, varying: list[str], constants: dict, *, now: datetime):
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in [*varying, *constants] if name not in by_attname]
        if unknown:
            raise GenerationError(f"{model.__name__} has no columns {unknown}")
        self.varying = list(varying)
        self.constants = {}
        for attname, f in by_attname.items():
            if attname in varying:
                continue
            if attname in constants:
                self.constants[attname] = constants[attname]
            elif f.primary_key:
                continue  # the database assigns it
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.constants[attname] = now
            elif f.has_default() or (f.empty_strings_allowed and not f.null):
                self.constants[attname] = f.get_default()
            elif f.null:
                self.constants[attname] = None
            else:
                raise GenerationError(f"{model.__name__}.{attname} needs a value in the synthetic data")
        columns = [by_attname[name].column for name in [*self.varying, *self.constants]]
        self.copy_sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        suffix = ",".join(_sql_literal(v) for v in self.constants.values())
        self.suffix = ("," + suffix if suffix else "") + "\n"

    def csv(self, rows) -> str:
        lit, suffix = _sql_literal, self.suffix
        return "".join(",".join([lit(v) for v in row]) + suffix for row in rows)

    def objects(self, rows) -> list:
        return [self.model(**dict(zip(self.varying, row, strict=True)), **self.constants) for row in rows]


def tables(*, provider_id: int, loader_id: int, profile: str, now: datetime) -> dict[str, Table]:
    from applications.models import Application, Person

    from ..models import QueueEntry, QueueEvent

    return {
        "persons": Table(Person, ["id", "iin", "surname", "given_name", "patronymic", "birth_date", "sex"], {},
                         now=now),
        "applications": Table(
            Application,
            ["id", "number", "settlement_id", "fund", "category_id", "queue_list_id", "applicant_id", "state",
             "accepted_at", "queue_seq", "emergency_dwelling", "contact_phone"],
            {"provider_id": provider_id, "channel": "portal", "regulation_profile": profile,
             "submitted_by_id": loader_id, "language": "kk",
             "filed_payload": {"synthetic": True, "source": "generate_queue", "documents": []}},
            now=now,
        ),
        "entries": Table(
            QueueEntry,
            ["id", "queue_list_id", "application_id", "holder_id", "accepted_at", "queue_seq", "block_no", "status",
             "active", "initials", "category_code", "registered_on", "notified_number", "notified_at",
             "place_event_hash", "closed_at"],
            {}, now=now,
        ),
        "events": Table(
            QueueEvent,
            ["queue_list_id", "seq", "kind", "entry_id", "application_number", "key_at", "key_seq", "occurred_at",
             "data", "prev_hash", "hash"],
            {}, now=now,
        ),
    }


TABLE_ORDER = ("persons", "applications", "entries", "events")


def build_csv(plan: ListPlan, table_specs: dict[str, Table]) -> tuple[int, dict[str, list[str]], int, str, int]:
    """Worker entry point: one list as COPY CSV chunks per table, plus its chain head."""
    rows = build_list(plan)
    chunks = {}
    for name in TABLE_ORDER:
        data = getattr(rows, name)
        chunks[name] = [table_specs[name].csv(data[i:i + CHUNK_ROWS]) for i in range(0, len(data), CHUNK_ROWS)]
    return rows.list_id, chunks, rows.head_seq, rows.head_hash, len(rows.entries)


# --- IINs ------------------------------------------------------------------------------------------------------

def _excluded_iins() -> set[str]:
    """The demo people (and their families) of the simulator, and every synthetic-range IIN already stored."""
    from applications.models import Person

    excluded = set(re.findall(r"(?<!\d)\d{12}(?!\d)", SIMULATOR_PEOPLE.read_text(encoding="utf-8")))
    stored = Person.objects.filter(iin__regex=r"^[0-9]{7}9").values_list("iin", flat=True)
    excluded.update(stored.iterator(chunk_size=20000))
    return excluded


_WEIGHTS = (tuple(range(1, 12)), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))  # DOMAIN.md §8, as eligibility.iin


def _weighted(digits: str, offset: int) -> tuple[int, int]:
    return tuple(sum(int(d) * w[offset + i] for i, d in enumerate(digits)) for w in _WEIGHTS)


def synthetic_iins(count: int, excluded: set[str]):
    """`count` valid, distinct IINs with serials 9000-9999, spread over birth dates 1950-1989 and both sexes.

    Candidates go serial by serial over every (birth date, sex), birth dates in a strided order so neighbours
    in the queue are not born on neighbouring days. The check digit is eligibility.iin.check_digit's, summed
    from precomputed parts (date and sex digits, serial digits): a million take about a second.
    """
    days = (BIRTH_LAST - BIRTH_FIRST).days + 1
    stride = 7919  # prime, and not a divisor of `days`: consecutive people get far-apart birthdays
    heads = []
    for day in range(days):
        birth = BIRTH_FIRST + timedelta(days=(day * stride) % days)
        for sex_digit in "34":
            head = f"{birth:%y%m%d}{sex_digit}"
            heads.append((head, *_weighted(head, 0)))
    out = []
    for serial in range(SERIAL_FLOOR, 10000):
        tail = f"{serial:04d}"
        first_tail, second_tail = _weighted(tail, 7)
        for head, first_head, second_head in heads:
            digit = (first_head + first_tail) % 11
            if digit == 10:
                digit = (second_head + second_tail) % 11
                if digit == 10:
                    continue  # never issued
            iin = f"{head}{tail}{digit}"
            if iin not in excluded:
                out.append(iin)
                if len(out) == count:
                    return out
    raise GenerationError("the synthetic IIN range is exhausted")


# --- reserving keys and ids -------------------------------------------------------------------------------------

def reserve(sequence_sql_name: str | None, count: int, *, table: str | None = None,
            counter: str | None = None) -> list[int]:
    """`count` values of a sequence in one statement, so the real sequence stays ahead of what we insert."""
    if count == 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if table:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence_sql_name = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_sql_name, count])
            return [row[0] for row in cursor.fetchall()]
    if table:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))
    from core.models import SequenceCounter

    row, _ = SequenceCounter.objects.select_for_update().get_or_create(name=counter)
    start = row.value + 1
    row.value += count
    row.save(update_fields=["value"])
    return list(range(start, start + count))


# --- the provider, its settlements and lists --------------------------------------------------------------------

def bench_provider():
    from accounts.models import Provider

    provider, _ = Provider.objects.get_or_create(
        code=PROVIDER_CODE,
        defaults=dict(name_kk="Синтетикалық провайдер (бенчмарк)", name_ru="Синтетический поставщик (бенчмарк)",
                      name_en="Synthetic provider (benchmark)", regulation_profile="national-2025"),
    )
    return provider


def _loader(provider):
    from accounts.models import Role, User

    user = User.objects.filter(username=LOADER_USERNAME).first()
    if user is None:
        user = User(username=LOADER_USERNAME, role=Role.CLERK, provider=provider, is_active=False,
                    first_name="Synthetic", last_name="Loader")
        user.set_unusable_password()
        user.save()
    return user


def existing_synthetic_places() -> int:
    from ..models import QueueEntry

    return QueueEntry.objects.filter(queue_list__provider__code=PROVIDER_CODE).count()


def _new_lists(provider, count: int) -> list[QueueList]:
    from accounts.models import Settlement, SettlementKind

    used = [int(m.group(1)) for code in QueueList.objects.filter(provider=provider).values_list("code", flat=True)
            if (m := re.fullmatch(r"bench-(\d+)", code))]
    start = max(used, default=0) + 1
    combos = [(group, fund) for group in CategoryGroup.values for fund in Fund.values]
    kinds = SettlementKind.values
    lists = []
    for n in range(start, start + count):
        settlement_no, combo = divmod(n - 1, LISTS_PER_SETTLEMENT)
        settlement, _ = Settlement.objects.get_or_create(
            provider=provider, code=f"bench-s{settlement_no + 1:02d}",
            defaults={"kind": kinds[settlement_no % len(kinds)],
                      "name_kk": f"Синтетикалық елді мекен {settlement_no + 1}",
                      "name_ru": f"Синтетический населённый пункт {settlement_no + 1}",
                      "name_en": f"Synthetic settlement {settlement_no + 1}"},
        )
        group, fund = combos[combo]
        lists.append(QueueList.objects.create(
            provider=provider, settlement=settlement, code=f"bench-{n:02d}", fund=fund, category_group=group,
            ordering=n, name_kk=f"Синтетикалық тізім {n:02d}", name_ru=f"Синтетический список {n:02d}",
            name_en=f"Synthetic list {n:02d}",
        ))
    return lists


def _categories_by_group() -> dict[str, list]:
    from applications.models import Category

    ids = dict(Category.objects.values_list("code", "id"))
    groups = {group: [] for group in CategoryGroup.values}
    for code, group in CATEGORY_GROUPS.items():
        if code in ids:
            groups[group].append((ids[code], code))
    groups[CategoryGroup.GENERAL] = [(None, "")]
    return {group: (pairs or [(None, "")]) for group, pairs in groups.items()}


# --- the whole run -------------------------------------------------------------------------------------------

@dataclass
class Summary:
    entries: int
    housed: int
    lists: list
    seconds: float
    vendor: str
    timings: dict


def generate(entries: int, lists: int, *, long_list: int | None = None, append: bool = False, seed: int = 2008,
             workers: int = 2, log=lambda message: None) -> Summary:
    sizes = split_sizes(entries, lists, long_list)
    existing = existing_synthetic_places()
    if existing and not append:
        raise GenerationError(
            f"{existing} synthetic places already exist (provider '{PROVIDER_CODE}'); pass --append to add "
            "new lists beside them. They cannot be deleted: the queue log refuses DELETE."
        )
    started = time.monotonic()
    timings = {}
    pool = None
    pg = connection.vendor == "postgresql"
    outer = connection.in_atomic_block  # called inside a transaction (tests): no forking, no VACUUM
    if pg and workers > 1 and not outer:
        # fork the builders before this process holds a database connection they could inherit
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        connection.close()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()
    try:
        with transaction.atomic():
            summary = _generate(sizes, seed=seed, pool=pool, workers=workers, log=log, timings=timings)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if pg:
        t = time.monotonic()
        with connection.cursor() as cursor:
            for table in ("applications_person", "applications_application", "queues_queueentry", "queues_queueevent",
                          "queues_queueblock", "queues_ledgerhead"):
                # the visibility map for index-only scans and fresh statistics; VACUUM cannot run in a transaction
                cursor.execute(f"{'ANALYZE' if outer else 'VACUUM (ANALYZE)'} {table}")
        timings["vacuum_analyze"] = round(time.monotonic() - t, 2)
    summary.seconds = round(time.monotonic() - started, 2)
    summary.timings = timings
    return summary


def _pipelined(pool, plans: list[ListPlan], specs: dict, ahead: int):
    """Built lists in order, at most a few ahead of the loader, so a million rows never wait in memory at once."""
    from collections import deque

    pending, upcoming = deque(), iter(plans)
    for plan in upcoming:
        pending.append(pool.submit(build_csv, plan, specs))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.popleft().result()
        plan = next(upcoming, None)
        if plan is not None:
            pending.append(pool.submit(build_csv, plan, specs))
        yield result


def _generate(sizes: list[int], *, seed: int, pool, workers: int, log, timings: dict) -> Summary:
    from core.sequences import QUEUE_KEY

    t = time.monotonic()
    now = timezone.now().replace(microsecond=0)
    provider = bench_provider()
    loader = _loader(provider)
    new_lists = _new_lists(provider, len(sizes))
    housed = [housed_for(n) for n in sizes]
    places = sum(sizes) + sum(housed)
    iins = synthetic_iins(places, _excluded_iins())
    timings["iins"] = round(time.monotonic() - t, 2)

    t = time.monotonic()
    pg = connection.vendor == "postgresql"
    person_ids = reserve(None, places, table="applications_person")
    application_ids = reserve(None, places, table="applications_application")
    entry_ids = reserve(None, places, table="queues_queueentry")
    queue_seqs = reserve(QUEUE_KEY, places, counter=QUEUE_KEY)
    timings["reserve"] = round(time.monotonic() - t, 2)

    categories = _categories_by_group()
    this_year = timezone.localdate().year
    tz = ZoneInfo(settings.TIME_ZONE)
    plans, offset = [], 0
    for queue_list, active, h in zip(new_lists, sizes, housed, strict=True):
        m = active + h
        sl = slice(offset, offset + m)
        offset += m
        plans.append(ListPlan(
            list_id=queue_list.pk, code=queue_list.code, settlement_id=queue_list.settlement_id, fund=queue_list.fund,
            group=queue_list.category_group, active=active, housed=h, seed=seed * 1_000_003 + queue_list.pk,
            first_key_us=_us(FIRST_KEY), last_key_us=_us(now - timedelta(days=45)),
            history_first_us=_us(datetime(this_year - HISTORY_YEARS, 1, 15, 4, 0, tzinfo=tz)),
            history_last_us=_us(datetime(this_year - 1, 12, 20, 4, 0, tzinfo=tz)),
            categories=categories[queue_list.category_group], iins=iins[sl],
            person_ids=person_ids[sl], application_ids=application_ids[sl], entry_ids=entry_ids[sl],
            queue_seqs=queue_seqs[sl], tz_name=settings.TIME_ZONE,
        ))
    specs = tables(provider_id=provider.pk, loader_id=loader.pk, profile=provider.regulation_profile, now=now)
    heads = {}
    build_seconds = copy_seconds = 0.0
    per_table = {}
    done = 0
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SET LOCAL kezek.bulk_load = 'on'")  # counters rebuilt below, before commit
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check references per COPY, not all at commit
            raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
            order = sorted(plans, key=lambda plan: plan.active)  # short lists first: loading starts sooner
            if pool is not None:
                results = _pipelined(pool, order, specs, workers + 1)
            else:
                results = (build_csv(plan, specs) for plan in order)
            t = time.monotonic()
            for list_id, chunks, head_seq, head_hash, count in results:
                build_seconds += time.monotonic() - t
                t = time.monotonic()
                for name in TABLE_ORDER:
                    t_table = time.monotonic()
                    for text in chunks[name]:
                        raw.copy_expert(specs[name].copy_sql, io.StringIO(text))
                    per_table[name] = per_table.get(name, 0.0) + time.monotonic() - t_table
                heads[list_id] = (head_seq, head_hash)
                done += count
                copy_seconds += time.monotonic() - t
                log(f"  list {list_id}: {count} places loaded ({done}/{places})")
                t = time.monotonic()
        else:
            for plan in plans:
                t = time.monotonic()
                rows = build_list(plan)
                build_seconds += time.monotonic() - t
                t = time.monotonic()
                for name in TABLE_ORDER:
                    specs[name].model.objects.bulk_create(specs[name].objects(getattr(rows, name)), batch_size=500)
                heads[plan.list_id] = (rows.head_seq, rows.head_hash)
                copy_seconds += time.monotonic() - t
                done += len(rows.entries)
    timings["build_wait" if pool is not None else "build"] = round(build_seconds, 2)
    timings["load"] = round(copy_seconds, 2)
    timings.update({f"copy_{name}": round(seconds, 2) for name, seconds in per_table.items()})

    t = time.monotonic()
    rebuild_blocks([q.pk for q in new_lists])
    LedgerHead.objects.bulk_create(
        [LedgerHead(queue_list_id=list_id, seq=seq, hash=digest) for list_id, (seq, digest) in heads.items()]
    )
    timings["blocks_and_heads"] = round(time.monotonic() - t, 2)
    return Summary(entries=sum(sizes), housed=sum(housed), lists=[q.code for q in new_lists], seconds=0.0,
                   vendor=connection.vendor, timings=timings)
