# Kezek web/worker image. Fonts with the Kazakh letters and Pango for WeasyPrint, gettext for catalogues.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=housing_queue.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 gettext poppler-utils curl postgresql-client make \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 kezek
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY --chown=kezek:kezek . .
RUN DJANGO_SECRET_KEY=build-only-$(head -c 40 /dev/urandom | base64 | tr -d '/+=\n') \
    python manage.py compilemessages --ignore=.venv -v0 \
 && DJANGO_SECRET_KEY=build-only-$(head -c 40 /dev/urandom | base64 | tr -d '/+=\n') \
    python manage.py collectstatic --noinput -v0 \
 && mkdir -p /app/var/media /app/var/trust && chown -R kezek:kezek /app/var /app/staticfiles
USER kezek
EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY: one sync worker per core (README "Configuration")
ENV WEB_CONCURRENCY=2
CMD ["gunicorn", "housing_queue.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
