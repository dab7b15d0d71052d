"""Pages for people outside the department: the holder's offer in the cabinet, the ЦОН operator's answer on a
person's behalf, and the public register of skips per round (no login; numbers and reasons only)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import ability_required
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from audit.services import record_staff_read

from . import selectors
from .forms import AnswerForm, CentreAnswerForm
from .models import OfferStatus
from .services import offers

citizen_only = ability_required("file_online")
operators_only = ability_required("enter_paper_application")


def _answer(request, offer, form, *, identity_checked=False) -> bool:
    accept = form.cleaned_data["answer"] == "accept"
    try:
        offers.respond_to_offer(offer, request.user, accept=accept, reason=form.cleaned_data.get("reason", ""),
                                identity_checked=identity_checked)
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        form.add_error(None, exc.user_message)
        return False
    messages.success(request, _("The offer is accepted. The department prepares the decision to provide housing.")
                     if accept else _("The offer is declined; your reason is recorded."))
    return True


@citizen_only
@require_http_methods(["GET", "POST"])
def offer(request, pk):
    """The holder sees the offered dwelling and answers it while the offer is open."""
    item = selectors.holder_offer(request.user, pk)
    if item is None:
        raise Http404
    is_open = item.status == OfferStatus.OFFERED and item.respond_by and item.respond_by > timezone.now()
    form = AnswerForm(request.POST or None) if is_open else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This offer is no longer waiting for an answer."))
            return redirect("allocation:offer", pk=pk)
        if form.is_valid() and _answer(request, item, form):
            return redirect("allocation:offer", pk=pk)
        return render(request, "allocation/citizen_offer.html", {"offer": item, "form": form}, status=400)
    return render(request, "allocation/citizen_offer.html", {"offer": item, "form": form})


@operators_only
@require_GET
def centre(request):
    record_staff_read(request, "allocation.centre_offers_viewed",
                      ("service_centre", str(request.user.service_centre_id)))
    return render(request, "allocation/centre.html", {"offers": selectors.centre_offers(request.user)[:200]})


@operators_only
@require_http_methods(["GET", "POST"])
def centre_offer(request, pk):
    """The operator records the answer the person gives at the branch (identity checked, written answer signed)."""
    item = selectors.centre_offer(request.user, pk)
    if item is None:
        raise Http404
    record_staff_read(request, "allocation.offer_viewed", item, application=item.entry.application_id,
                      iin=item.entry.holder.iin, via="service_centre")
    is_open = item.status == OfferStatus.OFFERED and item.respond_by and item.respond_by > timezone.now()
    form = CentreAnswerForm(request.POST or None) if is_open else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This offer is no longer waiting for an answer."))
            return redirect("allocation:centre_offer", pk=pk)
        if form.is_valid() and _answer(request, item, form, identity_checked=form.cleaned_data["identity_checked"]):
            return redirect("allocation:centre")
        return render(request, "allocation/centre_offer.html", {"offer": item, "form": form}, status=400)
    return render(request, "allocation/centre_offer.html", {"offer": item, "form": form})


@require_GET
def public_rounds(request):
    return render(request, "allocation/public_rounds.html", {"rounds": selectors.public_rounds()[:200]})


@require_GET
def public_round(request, pk):
    round_ = selectors.public_round(pk)
    if round_ is None:
        raise Http404
    return render(request, "allocation/public_round.html",
                  {"round": round_, **selectors.public_register(round_, (get_language() or "kk")[:2])})
