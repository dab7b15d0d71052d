"""The catalogues are complete: every msgid has a Kazakh and a Russian translation, none is fuzzy.

The stdlib reads only compiled .mo files, so the .po files are read by the small parser below.
Refreshing the catalogues after a string change is `make messages-update` (see locale/README.md).
"""

import ast
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
TRANSLATED = ["kk", "ru"]
PLURALS = {"kk": 2, "ru": 4, "en": 2}  # kk and en as Django ships them; ru as Django's own ru catalogue (4th: fractions)
DJANGO_DIR = Path(django.__file__).parent
DJANGO_STRINGS_MODULE = Path(__file__).resolve().parent.parent / "housing_queue" / "django_strings_kk.py"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgctxt + ' | ' if self.msgctxt else ''}{self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header first; obsolete (#~) entries and previous-msgid (#|) comments are skipped."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal current, target
        if target is not None:
            entries.append(current)
        current, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#"):
            if target is not None and target[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            value = ast.literal_eval(literal)
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = value
            else:
                if target is not None and target[0] == "msgstr":
                    finish()
                if not current.line:
                    current.line = number
                target = (keyword, None)
                setattr(current, keyword, value)
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            if target[0] == "msgstr":
                current.msgstr[target[1]] += value
            else:
                setattr(current, target[0], getattr(current, target[0]) + value)
        else:
            raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def catalogue(lang: str) -> tuple[Entry, list[Entry]]:
    entries = parse_po(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po")
    assert entries and entries[0].msgid == "" and entries[0].msgctxt is None, "the header must come first"
    return entries[0], entries[1:]


def header_fields(header: Entry) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


_PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]|%[sdif]|\{\w*\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_header_is_valid(lang):
    header, _ = catalogue(lang)
    fields = header_fields(header)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == lang
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert re.match(rf"nplurals={PLURALS[lang]}; plural=", fields["Plural-Forms"]), fields["Plural-Forms"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang):
    _, entries = catalogue(lang)
    assert len(entries) > 100, "the catalogue looks truncated"
    problems = []
    for entry in entries:
        expected_forms = list(range(PLURALS[lang])) if entry.msgid_plural is not None else [0]
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if sorted(entry.msgstr) != expected_forms:
            problems.append(f"has plural forms {sorted(entry.msgstr)}, expected {expected_forms}: {entry.label}")
        if any(not entry.msgstr.get(form, "").strip() for form in expected_forms):
            problems.append(f"untranslated: {entry.label}")
    assert not problems, f"{lang}: {len(problems)} problem(s); run `make messages-update` and translate:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang):
    _, entries = catalogue(lang)
    problems = []
    for entry in entries:
        if entry.msgid_plural is None:
            if placeholders(entry.msgstr.get(0, "")) != placeholders(entry.msgid):
                problems.append(entry.label)
        else:
            # A singular form may spell the number out ("бір сағат бұрын"), but no form may invent a placeholder.
            allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            if any(not placeholders(text) <= allowed for text in entry.msgstr.values()):
                problems.append(entry.label)
            if not placeholders(entry.msgstr.get(PLURALS[lang] - 1, "")) >= placeholders(entry.msgid_plural):
                problems.append(entry.label)
    assert not problems, f"{lang}: placeholders differ from the msgid:\n" + "\n".join(problems)


def _compiled(lang: str) -> Path:
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    po = mo.with_suffix(".po")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        pytest.fail(f"{mo} is missing or older than the .po file: run `make messages`")
    return mo


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("kk", "Кіру"), ("ru", "Войти"), ("en", "Sign in")],
)
def test_a_project_message_is_shown_translated(lang, expected):
    _compiled(lang)
    with translation.override(lang):
        assert translation.gettext("Sign in") == expected
        assert str(forms.CharField(label=translation.gettext_lazy("IIN")).label) == {"kk": "ЖСН", "ru": "ИИН"}.get(
            lang, "IIN"
        )


@pytest.mark.parametrize(
    ("lang", "one", "five"),
    [
        ("kk", "1 жұмыс күні", "5 жұмыс күні"),
        ("ru", "1 рабочий день", "5 рабочих дней"),
        ("en", "1 working day", "5 working days"),
    ],
)
def test_plural_messages(lang, one, five):
    _compiled(lang)
    with translation.override(lang):
        for n, expected in ((1, one), (5, five)):
            assert translation.ngettext("%(n)d working day", "%(n)d working days", n) % {"n": n} == expected
    if lang == "ru":
        with translation.override(lang):
            assert translation.ngettext("%(n)d working day", "%(n)d working days", 3) % {"n": 3} == "3 рабочих дня"


def test_django_messages_missing_from_djangos_kazakh_are_translated_by_the_project():
    _compiled("kk")
    with translation.override("kk"):
        email = forms.EmailField()
        with pytest.raises(forms.ValidationError) as caught:
            email.clean("not-an-address")
        assert caught.value.messages == ["Дұрыс электрондық пошта мекенжайын енгізіңіз."]
        with pytest.raises(forms.ValidationError) as caught:
            forms.CharField(max_length=5).clean("abcdefgh")
        assert caught.value.messages == ["Бұл мән 5 таңбадан аспауы тиіс (қазір 8)."]
        rendered = Template("{{ then|timesince:now }}").render(
            Context({"then": datetime.datetime(2026, 11, 19, 9, 0), "now": datetime.datetime(2026, 11, 22, 14, 5)})
        )
        assert rendered == "3\xa0күн, 5\xa0сағат"
        assert translation.pgettext("alt. month", "November") == "қараша"


def test_kazakh_short_datetime_format():
    moment = timezone.make_aware(datetime.datetime(2026, 11, 22, 14, 5), timezone.get_default_timezone())
    with translation.override("kk"):
        rendered = Template('{{ d|date:"SHORT_DATETIME_FORMAT" }} {{ d|date:"SHORT_DATE_FORMAT" }}').render(
            Context({"d": moment})
        )
    assert rendered == "22.11.2026 14:05 22.11.2026"


def _django_catalogue_keys() -> set[tuple[str | None, str, str | None]]:
    keys = set()
    for sub in ("conf/locale", "contrib/auth/locale", "contrib/humanize/locale"):
        for entry in parse_po(DJANGO_DIR / sub / "en" / "LC_MESSAGES" / "django.po")[1:]:
            keys.add((entry.msgctxt, entry.msgid, entry.msgid_plural))
    return keys


def test_django_strings_module_copies_djangos_msgids_verbatim():
    """housing_queue/django_strings_kk.py only helps if each call matches Django's message exactly."""
    arguments = {"gettext_noop": (None, 0, None), "pgettext_lazy": (0, 1, None)}
    arguments |= {"ngettext_lazy": (None, 0, 1), "npgettext_lazy": (0, 1, 2)}
    marked = []
    for node in ast.walk(ast.parse(DJANGO_STRINGS_MODULE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in arguments:
            values = [arg.value for arg in node.args]
            context, msgid, plural = (None if i is None else values[i] for i in arguments[node.func.id])
            marked.append((context, msgid, plural))
    assert len(marked) > 50
    unknown = [key for key in marked if key not in _django_catalogue_keys()]
    assert not unknown, f"not Django's messages (typo, or changed in a Django upgrade?): {unknown}"
