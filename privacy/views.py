"""The citizen's "My data" page: what Kezek holds and keeps, and the download of all of it."""

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import ability_required
from core.client_ip import client_ip

from .forms import ExportForm
from .services.export import export_personal_data


@ability_required("export_own_data")
@require_http_methods(["GET", "POST"])
def my_data(request):
    """GET explains; POST with the confirmation downloads the ZIP (logged). Only ever the user's own data."""
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        archive = export_personal_data(request.user, language=get_language(), ip_address=client_ip(request))
        response = FileResponse(
            archive.file, as_attachment=True, content_type="application/zip",
            filename=f"kezek-my-data-{timezone.localdate():%Y-%m-%d}.zip",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return render(
        request, "privacy/my_data.html",
        {"form": form, "refused_period": _period(settings.KEZEK_RETENTION_REFUSED_DAYS),
         "withdrawn_period": _period(settings.KEZEK_RETENTION_WITHDRAWN_DAYS),
         "returned_period": _period(settings.KEZEK_RETENTION_RETURNED_DAYS)},
        status=400 if form.is_bound else 200,
    )


def _period(days: int) -> str:
    """A retention period as people say it: whole years when it is whole years, days otherwise."""
    if days % 365 == 0:
        years = days // 365
        return ngettext("%(num)d year", "%(num)d years", years) % {"num": years}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
