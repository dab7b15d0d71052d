# Kezek: `make run` sets everything up and serves; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= housing_queue.settings.local

.PHONY: run setup venv system-deps migrate seed messages messages-update docs test test-fast bench lint clean worker beat

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	touch $@

venv: $(VENV)/.installed

# Fonts with the Kazakh letters for PDFs, poppler for PDF checks (pdfsig verifies signed PDFs, with an NSS
# database made by certutil from libnss3-tools; openssl checks the CMS over the byte ranges), gettext for catalogues,
# Chromium for browser tests, Graphviz for the workflow diagram (make docs). Installed from Debian's packages when missing and we are root.
system-deps:
	@missing=""; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v certutil >/dev/null || missing="$$missing libnss3-tools"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install these Debian packages:$$missing" >&2; fi; \
	fi

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v0

# Re-extract the msgids after strings changed in code or templates (see locale/README.md).
messages-update: venv
	$(PY) manage.py makemessages -l kk -l ru -l en --ignore=.venv --ignore=tests --ignore=var --ignore=staticfiles
	@for lang in kk ru; do printf '%s: ' $$lang; msgfmt --statistics -o /dev/null locale/$$lang/LC_MESSAGES/django.po 2>&1; done
	@echo "Translate every new (empty) entry and clear every '#, fuzzy' flag in locale/kk/LC_MESSAGES/django.po"
	@echo "and locale/ru/LC_MESSAGES/django.po (locale/en may stay empty), then run 'make messages'."
	@echo "tests/test_translations.py fails until both catalogues are complete."

# The case workflow diagram from the FSM transitions of applications.Application. A fixed hash seed keeps
# the dot file's order stable; tests/applications/test_workflow_diagram.py fails when it is stale.
docs: system-deps venv
	PYTHONHASHSEED=0 $(PY) manage.py graph_transitions applications.Application > docs/workflow.dot
	dot -Tsvg docs/workflow.dot -o docs/workflow.svg

migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0

seed: migrate
	$(PY) manage.py seed_demo

setup: system-deps venv messages migrate seed
	$(PY) manage.py collectstatic --noinput -v0

# Without REDIS_URL tasks run in-process; with it a Celery worker (with beat) runs beside the server.
run: setup
	@echo "Kezek is at http://$(HOST):$(PORT)/  (Ctrl+C stops it). Demo logins: see above, password demo-pass-2026"
	@if [ -n "$$REDIS_URL" ]; then \
	  $(VENV)/bin/celery -A housing_queue worker -B -l warning --concurrency 2 & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

worker: venv
	$(VENV)/bin/celery -A housing_queue worker -l info

beat: venv
	$(VENV)/bin/celery -A housing_queue beat -l info

# docs/reliability.md is regenerated after every run from the figures the tests wrote (var/reliability/), keeping
# pytest's exit status (5 = no tests collected, which .ci/run treats as a failure)
test: system-deps venv messages
	DJANGO_SETTINGS_MODULE=housing_queue.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	  $(PY) bench/reliability_doc.py || true; exit $$status

test-fast: venv messages
	DJANGO_SETTINGS_MODULE=housing_queue.settings.test $(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS)

# Benchmarks (bench/README.md): every bench/*_bench.py (or only BENCH="queue_bench ...") against the PostgreSQL
# database BENCH_DATABASE_URL (default kezek_bench: created and filled with a million synthetic places on the
# first run, reused after), figures merged into bench/results.json. Never your DATABASE_URL.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kezek_bench
bench: venv messages
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_SETTINGS_MODULE=housing_queue.settings.local DJANGO_DEBUG=0 \
	  $(PY) bench/run.py $(BENCH)

clean:
	rm -rf $(VENV) var staticfiles

# Backups (README "Backups", ops/backup.py): var/backups/kezek-<UTC time>/ (or KEZEK_BACKUP_DIR) with pg_dump -Fc of
# DATABASE_URL (the SQLite file in demo mode), a tar of MEDIA_ROOT (scans, issued PDFs, published lists) and a
# manifest with their sha256. Restore into a fresh database (refused over a non-empty one unless FORCE=1):
#   make restore BACKUP=var/backups/kezek-... [TARGET_DATABASE_URL=postgres://...] [TARGET_MEDIA_ROOT=...] [FORCE=1]
.PHONY: backup restore
backup: venv
	$(PY) ops/backup.py

restore: venv
	@test -n "$(BACKUP)" || { echo "make restore BACKUP=var/backups/kezek-... [TARGET_DATABASE_URL=...] [FORCE=1]" >&2; exit 2; }
	BACKUP="$(BACKUP)" TARGET_DATABASE_URL="$(TARGET_DATABASE_URL)" TARGET_MEDIA_ROOT="$(TARGET_MEDIA_ROOT)" FORCE="$(FORCE)" \
	  $(PY) ops/restore.py

# docs/reliability.md, generated from bench/results.json and var/reliability/*.json (bench/reliability_doc.py).
.PHONY: reliability-doc
reliability-doc:
	python3 bench/reliability_doc.py
