"""Staff pages of housing allocation: the stock, rounds, the proposal, skips to approve, offers and decisions.

Reading needs view_allocation (head, administrator, auditor); acting needs manage_allocation (administrator),
approve_skips (administrator, head; never the proposer) or sign_allocation_decision (head). Everything is the user's
own department's; anything else answers 404. Views parse and render; allocation/services/ check and decide.
"""

import base64
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import ability_required, has_ability
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from signatures import errors as eds_errors
from signatures.forms import SignDecisionForm
from signatures.services import decision_signing_from_post, eds_required, prepare_decision_signing

from . import selectors
from .forms import AddDwellingsForm, DraftDecisionForm, DwellingForm, ImportForm, RoundForm, SharesForm, SkipDecisionForm
from .models import DwellingStatus, OfferStatus, RoundStatus
from .services import decisions, offers, rounds, stock
from .services.offers import can_approve

staff_only = ability_required("view_allocation")
managers_only = ability_required("manage_allocation")


@dataclass(frozen=True)
class _Outcome:
    """What `_run` gives back: whether the service went through, and what it returned. True when it went through."""

    ok: bool
    value: Any = None

    def __bool__(self) -> bool:
        return self.ok


def _run(request, call, done=None, *, form=None, field=None) -> _Outcome:
    """Run a service the one way every action here does, so that refusals look alike on every page.

    A permission refusal is a 403. Any other refusal is shown: on `form` (at `field`) when the page re-renders a
    form, else as an error message. When the service goes through, `done` (a text, or a function of the result that
    gives one or None) becomes the success message.
    """
    try:
        result = call()
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        if form is not None:
            form.add_error(field, exc.user_message)
        else:
            messages.error(request, exc.user_message)
        return _Outcome(False)
    text = done(result) if callable(done) else done
    if text:
        messages.success(request, text)
    return _Outcome(True, result)


def _found(obj):
    """What a selector found for the user, or a 404: another department's object looks like no object at all."""
    if obj is None:
        raise Http404
    return obj


# --- the stock -----------------------------------------------------------------------------------------------------

@staff_only
def dwellings(request):
    status = request.GET.get("status", "")
    status = status if status in DwellingStatus.values else ""
    return render(request, "allocation/dwellings.html", {
        "dwellings": selectors.dwellings_for(request.user, status)[:1000], "status": status,
        "statuses": DwellingStatus.choices, "can_manage": has_ability(request.user, "manage_allocation"),
    })


@managers_only
@require_http_methods(["GET", "POST"])
def dwelling_add(request):
    form = DwellingForm(request.POST or None, provider=request.user.provider)
    if request.method == "POST":
        if form.is_valid() and _run(request, lambda: stock.register_dwelling(request.user, **form.cleaned_data),
                                    _("The dwelling is registered in the stock."), form=form):
            return redirect("allocation:dwellings")
        return render(request, "allocation/dwelling_add.html", {"form": form}, status=400)
    return render(request, "allocation/dwelling_add.html", {"form": form})


@managers_only
@require_http_methods(["GET", "POST"])
def dwelling_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = _run(request, lambda: stock.import_dwellings_csv(request.user, upload.read()),
                          lambda r: _("%(n)d dwellings are imported.") % {"n": len(r.created)} if r.ok else None,
                          form=form, field="file").value
            if report is not None and report.ok:
                return redirect("allocation:dwellings")
        return render(request, "allocation/dwelling_import.html",
                      {"form": form, "report": report, "columns": stock.COLUMNS}, status=400)
    return render(request, "allocation/dwelling_import.html", {"form": form, "columns": stock.COLUMNS})


@require_POST
@managers_only
def dwelling_withdraw(request, pk):
    dwelling = _found(selectors.dwelling_for(request.user, pk))
    _run(request, lambda: stock.withdraw_dwelling(dwelling, request.user),
         _("The dwelling is withdrawn from the stock."))
    return redirect("allocation:dwellings")


# --- rounds --------------------------------------------------------------------------------------------------------

@staff_only
def round_list(request):
    return render(request, "allocation/rounds.html", {
        "rounds": selectors.rounds_for(request.user), "can_manage": has_ability(request.user, "manage_allocation")})


@managers_only
@require_http_methods(["GET", "POST"])
def round_create(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            created = _run(request, lambda: rounds.create_round(request.user, **form.cleaned_data),
                           _("The round is created: add dwellings and set the shares of the lists."), form=form)
            if created:
                return redirect("allocation:round", pk=created.value.pk)
        return render(request, "allocation/round_create.html", {"form": form}, status=400)
    return render(request, "allocation/round_create.html", {"form": form})


def _own_round(request, pk):
    return _found(selectors.round_for(request.user, pk))


def _round_action(view):
    """A manager's POST on one own round that runs one service: `view(request, round_, ...)` runs it through `_run`,
    and the answer, done or refused, is the round's page."""

    @require_POST
    @managers_only
    @wraps(view)
    def action(request, pk, **kwargs):
        view(request, _own_round(request, pk), **kwargs)
        return redirect("allocation:round", pk=pk)

    return action


def _round_context(request, round_, **forms) -> dict:
    user = request.user
    can_manage = has_ability(user, "manage_allocation")
    context = {
        "round": round_, **selectors.round_page(round_), "can_manage": can_manage,
        "can_approve": has_ability(user, "approve_skips"), "removals": rounds.removal_candidates(round_),
        "skip_form": SkipDecisionForm(), "draft_form": DraftDecisionForm(),
    }
    if can_manage and round_.status == RoundStatus.DRAFT:
        shares = {s.queue_list_id: s.percent for s in round_.shares.all()}
        context["add_form"] = forms.get("add_form") or AddDwellingsForm(provider=user.provider)
        context["shares_form"] = forms.get("shares_form") or SharesForm(provider=user.provider, initial_shares=shares)
    context["approvable"] = {s.pk for s in context["waiting_skips"] if can_approve(user, s)}
    return context


@staff_only
def round_detail(request, pk):
    round_ = _own_round(request, pk)
    return render(request, "allocation/round.html", _round_context(request, round_))


def _round_form(request, pk, form_class, form_name: str, call, done: str):
    """A manager's form on the round page: done, back to the page; invalid or refused, the page again (400) with
    this form and its errors. `call(round_, form)` runs the service."""
    round_ = _own_round(request, pk)
    form = form_class(request.POST, provider=request.user.provider)
    if form.is_valid() and _run(request, lambda: call(round_, form), done):
        return redirect("allocation:round", pk=pk)
    return render(request, "allocation/round.html", _round_context(request, round_, **{form_name: form}), status=400)


@require_POST
@managers_only
def round_dwellings(request, pk):
    return _round_form(request, pk, AddDwellingsForm, "add_form",
                       lambda round_, form: rounds.add_dwellings(round_, request.user, form.cleaned_data["dwellings"]),
                       _("The dwellings are added to the round."))


@_round_action
def round_remove_dwelling(request, round_, dwelling_pk):
    _run(request, lambda: rounds.remove_dwelling(round_, request.user, dwelling_pk),
         _("The dwelling is back in the stock."))


@require_POST
@managers_only
def round_shares(request, pk):
    return _round_form(request, pk, SharesForm, "shares_form",
                       lambda round_, form: rounds.set_shares(round_, request.user, form.shares()),
                       _("The shares are set."))


@_round_action
def round_propose(request, round_):
    proposed = _run(request, lambda: rounds.propose_round(round_, request.user), lambda proposal: _(
        "Proposal computed: %(offers)d offers, %(skips)d skips to approve, %(none)d dwellings without a fitting person."
    ) % {"offers": len(proposal.offers), "skips": len(proposal.skips), "none": len(proposal.unmatched)})
    if proposed:
        for dwelling, why in proposed.value.unmatched:
            messages.warning(request, f"{dwelling.address}: {why}")


@_round_action
def round_send(request, round_):
    _run(request, lambda: offers.send_offers(round_, request.user),
         lambda result: _("%(sent)d offers sent; %(waiting)d wait for skips to be approved.") % {
             "sent": len(result.sent), "waiting": len(result.waiting)})


@_round_action
def round_close(request, round_):
    _run(request, lambda: rounds.close_round(round_, request.user),
         _("The round is closed; dwellings without a decision are back in the stock."))


@require_POST
@ability_required("approve_skips")
def skip_decide(request, pk):
    skip = _found(selectors.skip_for(request.user, pk))
    form = SkipDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was damaged; please try again."))
        return redirect("allocation:round", pk=skip.round_id)
    approve = form.cleaned_data["decision"] == "approve"
    call = ((lambda: offers.approve_skip(skip, request.user, form.cleaned_data["comment"])) if approve
            else (lambda: offers.reject_skip(skip, request.user, form.cleaned_data["comment"])))
    _run(request, call, _("The skip is approved.") if approve
         else _("The skip is rejected: the offer of that dwelling is withdrawn until the proposal is computed again."))
    return redirect(reverse("allocation:round", args=[skip.round_id]) + "#skips")


# --- decisions -----------------------------------------------------------------------------------------------------

@require_POST
@managers_only
def decision_draft(request, pk):
    offer = _found(selectors.offer_for_staff(request.user, pk))
    form = DraftDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the legal basis of the decision (the article of the law, the akimat's resolution)."))
        return redirect("allocation:round", pk=offer.round_id)
    drafted = _run(request, lambda: decisions.draft_decision(offer, request.user,
                                                             legal_basis=form.cleaned_data["legal_basis"]),
                   _("The decision is drafted and waits for the head's signature."))
    if not drafted:
        return redirect("allocation:round", pk=offer.round_id)
    return redirect("allocation:decision", pk=drafted.value.pk)


def _own_decision(request, pk):
    return _found(selectors.decision_for(request.user, pk))


@staff_only
@require_http_methods(["GET"])
def decision_detail(request, pk):
    return _decision_page(request, pk)


def _decision_page(request, pk, form=None):
    decision = _own_decision(request, pk)
    can_sign = has_ability(request.user, "sign_allocation_decision") and decision.signed_at is None \
        and decision.offer.status == OfferStatus.ACCEPTED
    return render(request, "allocation/decision.html", {
        "decision": decision, "offer": decision.offer, "case": decision.offer.entry.application,
        "can_sign": can_sign, "sign_form": form or SignDecisionForm(auto_id="sign-%s"), "eds_on": eds_required(),
        "prepare_url": reverse("allocation:decision_prepare", args=[decision.pk]),
    }, status=400 if form is not None else 200)


@require_POST
@ability_required("sign_allocation_decision")
def decision_prepare(request, pk):
    """The head's browser sends the certificate; the answer is what the head's key signs (JSON)."""
    decision = _own_decision(request, pk)
    case = decisions.case_of(decision)
    certificates = request.POST.getlist("certificate")
    try:
        session = prepare_decision_signing(
            case, request.user, certificates, method=request.POST.get("method", ""),
            dry_run=lambda signing: decisions.sign_decision(decision, request.user, signing=signing))
    except eds_errors.SignatureError as exc:
        return JsonResponse({"error": str(exc.user_message), "code": exc.code}, status=400)
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        return JsonResponse({"error": str(exc.user_message), "code": "not_possible"}, status=400)
    return JsonResponse({
        "session": str(session.pk),
        "signed_attrs": base64.b64encode(bytes(session.signed_attrs)).decode(),
        "document_digest": base64.b64encode(bytes(session.document_digest)).decode(),
        "digest_algorithm": "SHA-256",
        "document_number": session.document_number,
    })


@require_POST
@ability_required("sign_allocation_decision")
def decision_sign(request, pk):
    decision = _own_decision(request, pk)
    form = SignDecisionForm(request.POST, auto_id="sign-%s")
    if not form.is_valid():
        messages.error(request, _("The form was damaged; please try again."))
        return _decision_page(request, pk, form=form)
    data = form.cleaned_data

    def sign():  # a refused signature is a ServiceError too (signatures.errors)
        signing = decision_signing_from_post(
            request.user, decisions.case_of(decision), session_id=data["eds_session"],
            signature_value=data["eds_signature_value"], cms=data["eds_cms"], method=data["eds_method"])
        decisions.sign_decision(decision, request.user, signing=signing)

    done = _("The decision is signed: the case is closed as housing provided and the person is notified.")
    if not _run(request, sign, done):
        return _decision_page(request, pk, form=form)
    return redirect("allocation:decision", pk=pk)
