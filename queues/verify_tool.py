#!/usr/bin/env python3
"""Check a published queue list against its log, with nothing but Python 3.9+ (no Django, no database).

    python verify_tool.py LOG.jsonl SNAPSHOT.csv [MANIFEST.json]

LOG.jsonl is the list's hash-chained log as published (one event per line, oldest first), SNAPSHOT.csv the
published list, MANIFEST.json the snapshot's manifest (its chain head, row count and file digests). The script
recomputes every link of the chain, replays the events under the queue rules (DOMAIN.md §7: a place is ordered
by its immutable key; places pending a decision and registered places both count; refusals, removals and
housing free a place; a restoration brings a place back at its old key) and checks that the published rows
are exactly the order that follows. Exit 0 when everything holds, 1 with the first discrepancy otherwise.

Kezek uses this same module for `manage.py verify_queue_log` and for hashing new events, so the published
rule and the running system cannot drift apart. The provider's seal over the manifest is checked with
`openssl cms -verify` (see README) or by `manage.py verify_queue_log`.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import sys
from dataclasses import dataclass, field

GENESIS_HASH = "0" * 64
CSV_COLUMNS = ["ordinal", "application_number", "initials", "registered_on", "category", "status"]
ACTIVE_AFTER = {"entered": "pending", "registered": "registered", "restored": "registered", "succeeded": None}
INACTIVE_AFTER = {"left", "removed", "housed"}


def canonical_event(list_code: str, seq: int, kind: str, number: str, key_at: str, key_seq: int, at: str, data: dict) -> bytes:
    body = {"list": list_code, "seq": seq, "kind": kind, "number": number, "key": [key_at, key_seq], "at": at, "data": data}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical).hexdigest()


class VerificationError(Exception):
    pass


@dataclass
class Place:
    number: str
    key: tuple
    initials: str
    category: str
    registered_on: str
    status: str


@dataclass
class Replay:
    list_code: str = ""
    head: str = GENESIS_HASH
    seq: int = 0
    places: dict = field(default_factory=dict)

    def iter_active_rows(self):
        active = sorted((p for p in self.places.values() if p.status in ("pending", "registered")), key=lambda p: p.key)
        for i, p in enumerate(active, start=1):
            yield {"ordinal": str(i), "application_number": p.number, "initials": p.initials,
                   "registered_on": p.registered_on, "category": p.category, "status": p.status}

    def active_rows(self) -> list[dict]:
        return list(self.iter_active_rows())

    def active_count(self) -> int:
        return sum(1 for p in self.places.values() if p.status in ("pending", "registered"))


def apply_event(state: Replay, event: dict) -> None:
    """One link: check its hash and its place in the chain, then apply it to the replayed list."""
    seq, kind = event["seq"], event["kind"]
    if seq != state.seq + 1:
        raise VerificationError(f"event {seq}: expected sequence number {state.seq + 1}")
    if event["prev_hash"] != state.head:
        raise VerificationError(f"event {seq}: prev_hash does not match the previous event's hash")
    canonical = canonical_event(state.list_code, seq, kind, event["number"], event["key"][0], event["key"][1],
                                event["at"], event["data"])
    if event_hash(state.head, canonical) != event["hash"]:
        raise VerificationError(f"event {seq}: hash does not match its content (altered event)")
    number, key = event["number"], (event["key"][0], int(event["key"][1]))
    place = state.places.get(number)
    if kind == "entered":
        if place is not None:
            raise VerificationError(f"event {seq}: {number} entered twice")
        data = event["data"]
        state.places[number] = Place(number, key, data["initials"], data.get("category", ""), data["registered_on"], "pending")
    else:
        if place is None:
            raise VerificationError(f"event {seq}: {number} has no entered event before it")
        if place.key != key:
            raise VerificationError(f"event {seq}: the key of {number} changed")
        if kind == "registered":
            if place.status != "pending":
                raise VerificationError(f"event {seq}: {number} registered while {place.status}")
            place.status = "registered"
        elif kind == "restored":
            if place.status in ("pending", "registered"):
                raise VerificationError(f"event {seq}: {number} restored while still in the queue")
            place.status = "registered"
        elif kind == "succeeded":
            if place.status not in ("pending", "registered"):
                raise VerificationError(f"event {seq}: {number} continued while out of the queue")
            place.initials = event["data"]["initials"]
        elif kind in INACTIVE_AFTER:
            if place.status not in ("pending", "registered"):
                raise VerificationError(f"event {seq}: {number} left the queue twice")
            if kind == "left" and place.status != "pending":
                raise VerificationError(f"event {seq}: a registered place cannot be refused; it is removed")
            place.status = kind
        else:
            raise VerificationError(f"event {seq}: unknown kind {kind!r}")
    state.seq, state.head = seq, event["hash"]


def replay(list_code: str, events) -> Replay:
    state = Replay(list_code=list_code)
    for event in events:
        apply_event(state, event)
    return state


def read_log(lines) -> tuple[str, list[dict]]:
    """The published log: a header line {"list": CODE, ...}, then one event per line."""
    list_code, events = iter_log(lines)
    return list_code, list(events)


def iter_log(lines) -> tuple[str, object]:
    """read_log, lazily: the events are parsed as they are replayed."""
    lines = (line for line in lines if line.strip())
    first = next(lines, None)
    if first is None:
        raise VerificationError("the log is empty")
    header = json.loads(first)
    if "list" not in header:
        raise VerificationError("the log has no header line naming the list")
    return header["list"], (json.loads(line) for line in lines)


def compare_rows(expected, published) -> int:
    """Both sides streamed in order; returns the number of rows."""
    count = 0
    for i, (want, got) in enumerate(itertools.zip_longest(expected, published), start=1):
        if want is None or got is None:
            have = count + sum(1 for _ in (published if want is None else expected)) + 1
            raise VerificationError(
                f"the list has {have if want is None else count} rows, the log gives {count if want is None else have}")
        got = {k: got.get(k, "") for k in CSV_COLUMNS}
        if want != got:
            raise VerificationError(f"published row {i} is {got}, the log gives {want}")
        count = i
    return count


def _verify(events, csv_rows, csv_digest: str, list_code: str, manifest: dict | None) -> Replay:
    if manifest is not None:
        if manifest.get("list") != list_code:
            raise VerificationError("the manifest is for another list")
        upto = manifest["as_of_seq"]
        events = itertools.islice(events, upto)
    state = replay(list_code, events)
    if manifest is not None:
        if state.seq < manifest["as_of_seq"]:
            raise VerificationError(f"the log ends at event {state.seq}, the snapshot follows event {manifest['as_of_seq']}")
        if state.head != manifest["chain_head"]:
            raise VerificationError("the chain head in the manifest does not match the log")
        if csv_digest != manifest["csv_sha256"]:
            raise VerificationError("the list file does not match the digest in the manifest")
    rows = compare_rows(state.iter_active_rows(), csv_rows)
    if manifest is not None and manifest.get("row_count") != rows:
        raise VerificationError("the row count in the manifest does not match the list")
    return state


def verify(log_lines, csv_text: str, manifest: dict | None = None) -> Replay:
    """Check a log (any iterable of lines) and a list given as text against each other and the manifest."""
    list_code, events = iter_log(log_lines)
    digest = hashlib.sha256(csv_text.encode("utf-8")).hexdigest()
    return _verify(events, csv.DictReader(csv_text.splitlines()), digest, list_code, manifest)


def verify_files(log_path, csv_path, manifest: dict | None = None) -> Replay:
    """The same, streaming both files: memory grows with the number of places, not with the log's length."""
    digest = hashlib.sha256()
    with open(csv_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    with open(log_path, encoding="utf-8") as log, open(csv_path, encoding="utf-8", newline="") as rows:
        list_code, events = iter_log(log)
        return _verify(events, csv.DictReader(rows), digest.hexdigest(), list_code, manifest)


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        manifest = None
        if len(argv) == 4:
            with open(argv[3], encoding="utf-8") as f:
                manifest = json.load(f)
        state = verify_files(argv[1], argv[2], manifest)
    except (OSError, ValueError, KeyError, VerificationError) as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"OK: {state.seq} events, chain head {state.head}, {state.active_count()} places in order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
