"""A published queue list as a long PDF, drawn page by page with ReportLab (README "Published lists").

Why not WeasyPrint like the other documents: it lays out the whole HTML table before writing a page, so a
20,000-row list takes about two minutes and two GiB. Here every row is one fixed-height line, the number of
rows per page is known, so "page X of Y" needs no second pass, and rows arrive from a database iterator:
memory stays flat whatever the length (only the compressed page streams are held until the file is written).

Each page carries the list's name in Kazakh and Russian, the provider, the snapshot's name and date, the
column headers, and a footer with the log's chain head the rows follow from, so a single printed page can be
checked against the published log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT, FONT_BOLD = "KezekDejaVuSans", "KezekDejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}

PAGE_W, PAGE_H = A4
MARGIN = 36.0
ROW_H = 11.6
SIZE = 7.6
HEADER_H = 62.0  # title block above the column headers
FOOTER_H = 30.0
ROWS_TOP = PAGE_H - MARGIN - HEADER_H - 16.0  # baseline of the first row
ROWS_PER_PAGE = int((ROWS_TOP - (MARGIN + FOOTER_H)) // ROW_H) + 1

# column: (x, right-aligned); widths suit A4 portrait at 8 pt
COLUMNS = [(62.0, True), (68.0, False), (188.0, False), (234.0, False), (302.0, False), (416.0, False)]
HEADINGS = [
    ("№", "№"),
    ("Өтініш нөмірі", "Номер заявления"),
    ("Аты-жөні", "Инициалы"),
    ("Есепке алу күні", "Дата учёта"),
    ("Санат", "Категория"),
    ("Мәртебесі", "Статус"),
]
STATUS_LABELS = {"pending": "шешім күтуде / ожидает решения", "registered": "есепте / на учёте"}


class FontNotFound(Exception):
    pass


def register_fonts(directories: Iterable[str], files: dict | None = None) -> None:
    """DejaVu Sans covers Cyrillic and the Kazakh letters (Ә Ғ Қ Ң Ө Ұ Ү Һ І); registered once per process."""
    for name, filename in (files or FONT_FILES).items():
        if name in pdfmetrics.getRegisteredFontNames():
            continue
        for directory in directories:
            candidate = Path(directory) / filename
            if candidate.is_file():
                pdfmetrics.registerFont(TTFont(name, str(candidate)))
                break
        else:
            raise FontNotFound(f"{filename} not found in KEZEK_PDF_FONT_DIRS ({', '.join(directories) or 'empty'})")


@dataclass
class ListPdfMeta:
    list_code: str
    list_name_kk: str
    list_name_ru: str
    provider_kk: str
    provider_ru: str
    snapshot_name: str
    published_on: str  # local date and time, as printed
    chain_head: str
    as_of_seq: int
    row_count: int
    sealed: bool
    categories: dict = field(default_factory=dict)  # code -> (name kk, name ru), for the legend on the last page


def page_count(row_count: int) -> int:
    """Pages of rows (at least one, saying the list is empty) plus the legend page."""
    return max(1, -(-row_count // ROWS_PER_PAGE)) + 1


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class _Writer:
    def __init__(self, path: str, meta: ListPdfMeta):
        self.meta = meta
        self.pages = page_count(meta.row_count)
        self.page = 0
        self.c = canvas.Canvas(str(path), pagesize=A4, pageCompression=1, invariant=0)
        self.c.setTitle(f"{meta.list_name_kk} — {meta.snapshot_name}")
        self.c.setAuthor(meta.provider_kk)
        self.c.setSubject(f"{meta.list_code} {meta.snapshot_name} chain head {meta.chain_head}")
        self.c.setCreator("Kezek")
        sealed = ("Манифест жеткізушінің мөрімен қол қойылған / Манифест подписан печатью поставщика"
                  if meta.sealed else "МӨРСІЗ: манифестке мөр басылмаған / БЕЗ ПЕЧАТИ: манифест не подписан")
        self.footer_1 = _fit(f"Журнал тізбегінің басы / Вершина цепочки журнала (№{meta.as_of_seq}): {meta.chain_head}",
                             FONT, 6.6, PAGE_W - 2 * MARGIN)
        self.footer_2 = sealed
        self.title_kk = _fit(meta.list_name_kk, FONT_BOLD, 10.5, PAGE_W - 2 * MARGIN)
        self.title_ru = _fit(meta.list_name_ru, FONT, 9.0, PAGE_W - 2 * MARGIN)
        self.provider = _fit(f"{meta.provider_kk} / {meta.provider_ru}", FONT, 8.0, PAGE_W - 2 * MARGIN)
        self.snapshot = (f"Жарияланым / Публикация: {meta.snapshot_name} · {meta.published_on} · "
                         f"барлығы / всего: {meta.row_count}")
        # widths of the text columns, for truncating anything unexpectedly long
        xs = [x for x, _ in COLUMNS[1:]] + [PAGE_W - MARGIN]
        self.widths = [xs[i + 1] - xs[i] - 4 for i in range(len(xs) - 1)]
        self.status_labels: dict[str, str] = {}

    def status_label(self, status: str) -> str:
        label = self.status_labels.get(status)
        if label is None:
            label = self.status_labels[status] = _fit(STATUS_LABELS.get(status, status), FONT, SIZE, self.widths[-1])
        return label

    def start_page(self, *, columns: bool = True) -> None:
        self.page += 1
        c, top = self.c, PAGE_H - MARGIN
        c.setFont(FONT_BOLD, 10.5)
        c.drawString(MARGIN, top - 10, self.title_kk)
        c.setFont(FONT, 9.0)
        c.drawString(MARGIN, top - 22, self.title_ru)
        c.setFont(FONT, 8.0)
        c.drawString(MARGIN, top - 34, self.provider)
        c.drawString(MARGIN, top - 45, self.snapshot)
        y = PAGE_H - MARGIN - HEADER_H
        c.setLineWidth(0.5)
        c.line(MARGIN, y - 3, PAGE_W - MARGIN, y - 3)
        if not columns:
            return
        c.setFont(FONT_BOLD, 7.0)
        for (x, right), (kk, ru) in zip(COLUMNS, HEADINGS):
            if right:
                c.drawRightString(x, y + 8, kk)
                c.drawRightString(x, y, ru)
            else:
                c.drawString(x, y + 8, kk)
                c.drawString(x, y, ru)

    def end_page(self) -> None:
        c = self.c
        c.setLineWidth(0.5)
        c.line(MARGIN, MARGIN + 20, PAGE_W - MARGIN, MARGIN + 20)
        c.setFont(FONT, 6.6)
        c.drawString(MARGIN, MARGIN + 11, self.footer_1)
        c.drawString(MARGIN, MARGIN + 2, self.footer_2)
        c.setFont(FONT, 7.5)
        c.drawRightString(PAGE_W - MARGIN, MARGIN + 2, f"Бет / Страница {self.page} / {self.pages}")
        c.showPage()

    def rows_block(self, rows: list) -> None:
        """One page of rows in a single text object (one BT…ET), which keeps ReportLab fast on long lists."""
        c = self.c
        text = c.beginText()
        text.setFont(FONT, SIZE)
        y = ROWS_TOP
        ordinal_x = COLUMNS[0][0]
        for ordinal, number, initials, registered_on, category, status in rows:
            label = str(ordinal)
            text.setTextOrigin(ordinal_x - pdfmetrics.stringWidth(label, FONT, SIZE), y)
            text.textOut(label)
            for (x, _), width, value in zip(COLUMNS[1:5], self.widths, (
                number, initials, _date(registered_on), category or "—",
            )):
                text.setTextOrigin(x, y)
                text.textOut(value if len(value) < 19 else _fit(value, FONT, SIZE, width))
            text.setTextOrigin(COLUMNS[5][0], y)
            text.textOut(self.status_label(status))
            y -= ROW_H
        c.drawText(text)

    def legend(self) -> None:
        c, meta = self.c, self.meta
        y = ROWS_TOP
        c.setFont(FONT_BOLD, 9.0)
        c.drawString(MARGIN, y, "Санаттар / Категории")
        y -= 16
        for code, (kk, ru) in sorted(meta.categories.items()):
            if y < MARGIN + FOOTER_H + 24:
                break
            c.setFont(FONT_BOLD, 7.5)
            c.drawString(MARGIN, y, code)
            c.setFont(FONT, 7.5)
            c.drawString(MARGIN + 130, y, _fit(kk, FONT, 7.5, PAGE_W - 2 * MARGIN - 130))
            c.drawString(MARGIN + 130, y - 9, _fit(ru, FONT, 7.5, PAGE_W - 2 * MARGIN - 130))
            y -= 22
        y -= 10
        c.setFont(FONT, 7.5)
        for line in (
            "Тізім кезек журналынан шығады: журнал мен CSV файлын жүктеп алып, verify_queue_log арқылы тексеруге болады.",
            "Список следует из журнала очереди: журнал и CSV можно скачать и проверить командой verify_queue_log.",
            "Тізімде ЖСН де, толық аты-жөні де жарияланбайды. / В списке не публикуются ни ИИН, ни полное ФИО.",
        ):
            c.drawString(MARGIN, y, _fit(line, FONT, 7.5, PAGE_W - 2 * MARGIN))
            y -= 11

    def save(self) -> None:
        self.c.save()


def _date(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    year, month, day = str(value)[:10].split("-")
    return f"{day}.{month}.{year}"


def render_list_pdf(path, meta: ListPdfMeta, rows: Iterable[tuple], *, font_dirs: Iterable[str],
                    progress: Callable[[int], None] | None = None, progress_every: int = 2000) -> int:
    """Write the PDF of `rows` (ordinal, number, initials, registered_on, category, status) in order.

    Returns the number of pages; calls `progress(rows_done)` about every `progress_every` rows.
    """
    register_fonts(list(font_dirs))
    writer = _Writer(path, meta)
    done, next_report, page_rows = 0, progress_every, []
    for row in rows:
        page_rows.append(row)
        if len(page_rows) == ROWS_PER_PAGE:
            writer.start_page()
            writer.rows_block(page_rows)
            writer.end_page()
            done += len(page_rows)
            page_rows = []
            if progress is not None and done >= next_report:
                progress(done)
                next_report = done + progress_every
    if page_rows or writer.page == 0:
        writer.start_page()
        if page_rows:
            writer.rows_block(page_rows)
        else:
            writer.c.setFont(FONT, 9.0)
            writer.c.drawString(MARGIN, ROWS_TOP, "Тізімде ешкім жоқ. / В списке никого нет.")
        writer.end_page()
        done += len(page_rows)
    if done != meta.row_count:
        raise ValueError(f"the list has {done} rows, {meta.row_count} were expected")
    writer.start_page(columns=False)
    writer.legend()
    writer.end_page()
    writer.save()
    if progress is not None:
        progress(done)
    return writer.page
