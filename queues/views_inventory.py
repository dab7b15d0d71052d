"""Pages of the annual inventory: campaigns and their findings for staff, and the holder's answer in the cabinet.

Staff see only their own provider's campaigns (another provider's is "not found"); reading needs
view_queue_lists, acting needs manage_queue. The holder of a place answers from the cabinet; anyone else
gets "not found".
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import ability_required, has_ability
from applications.services.errors import ServiceError

from .forms_inventory import AnswerForm, CampaignStartForm, DismissForm, FindingFilterForm, ProposeRemovalForm
from .models import CampaignStatus, EntryStatus, InventoryCampaign, InventoryFinding
from .services import inventory

PAGE_SIZE = 50
staff_view = ability_required("view_queue_lists")
staff_action = ability_required("manage_queue")


def _pk_ok(pk: int) -> int:
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def _campaign_or_404(user, pk) -> InventoryCampaign:
    campaign = (InventoryCampaign.objects.select_related("started_by", "provider")
                .filter(pk=_pk_ok(pk), provider_id=user.provider_id).first())
    if campaign is None:
        raise Http404
    return campaign


def _finding_or_404(user, pk) -> InventoryFinding:
    finding = (InventoryFinding.objects
               .select_related("campaign", "entry__holder", "entry__application", "entry__queue_list__settlement",
                               "resolved_by")
               .filter(pk=_pk_ok(pk), campaign__provider_id=user.provider_id).first())
    if finding is None:
        raise Http404
    return finding


@staff_view
@require_http_methods(["GET", "POST"])
def campaigns(request):
    can_manage = has_ability(request.user, "manage_queue")
    form = CampaignStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                campaign = inventory.start_campaign(request.user.provider, request.user, year=form.cleaned_data["year"],
                                                    response_due=form.cleaned_data["response_due"])
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The inventory has started; the places are being checked."))
                return redirect("queues_inventory:campaign", campaign.pk)
    return render(request, "queues/inventory/campaigns.html", {
        "campaigns": InventoryCampaign.objects.filter(provider_id=request.user.provider_id)
        .select_related("started_by"),
        "form": form,
        "can_manage": can_manage,
    }, status=400 if form.errors else 200)


@staff_view
def campaign(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    filters = FindingFilterForm(request.GET or None)
    findings = (campaign.findings.select_related("entry__application", "entry__holder", "entry__queue_list")
                .order_by("entry_id", "kind"))
    query = ""
    if filters.is_valid():
        kind, status = filters.cleaned_data["kind"], filters.cleaned_data["status"]
        if kind:
            findings = findings.filter(kind=kind)
        if status:
            findings = findings.filter(status=status)
        query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("status", status)) if v)
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "queues/inventory/campaign.html", {
        "campaign": campaign,
        "counts": inventory.campaign_counts(campaign),
        "filters": filters,
        "query": query,
        "page": page,
        "rows": [(f, inventory.describe_finding(f, holder=False)) for f in page],
        "can_manage": has_ability(request.user, "manage_queue"),
        "running": campaign.status == CampaignStatus.RUNNING,
    })


@require_POST
@staff_action
def close(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    try:
        inventory.close_campaign(campaign, request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The inventory is closed. Nobody was removed by it."))
    return redirect("queues_inventory:campaign", campaign.pk)


@require_POST
@staff_action
def resume(request, pk):
    campaign = _campaign_or_404(request.user, pk)
    try:
        inventory.resume_campaign(campaign, request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The check continues from where it stopped."))
    return redirect("queues_inventory:campaign", campaign.pk)


def _finding_page(request, finding, *, dismiss_form=None, removal_form=None, status=200):
    can_manage = has_ability(request.user, "manage_queue")
    undecided = finding.status in inventory.OPEN_STATUSES
    return render(request, "queues/inventory/finding.html", {
        "finding": finding,
        "campaign": finding.campaign,
        "text": inventory.describe_finding(finding, holder=False),
        "facts": {k: v for k, v in finding.facts.items() if k != "answer"},
        "answer_choice": dict(inventory.ANSWER_CHOICES).get(inventory.answer_choice(finding), ""),
        "answer_attachment": inventory.answer_attachment_id(finding),
        "removals": finding.removals.select_related("proposed_by", "decided_by"),
        "can_manage": can_manage,
        "undecided": undecided,
        "removal_allowed": undecided and inventory.removal_may_be_proposed(finding),
        "place_registered": finding.entry.status == EntryStatus.REGISTERED,
        "dismiss_form": dismiss_form or DismissForm(),
        "removal_form": removal_form or ProposeRemovalForm(finding=finding),
    }, status=status)


@staff_view
def finding(request, pk):
    return _finding_page(request, _finding_or_404(request.user, pk))


@require_POST
@staff_action
def dismiss(request, pk):
    finding = _finding_or_404(request.user, pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            inventory.dismiss_finding(finding, request.user, form.cleaned_data["comment"])
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The finding is dismissed; the place stays."))
            return redirect("queues_inventory:finding", finding.pk)
    return _finding_page(request, finding, dismiss_form=form, status=400)


@require_POST
@staff_action
def propose_removal(request, pk):
    finding = _finding_or_404(request.user, pk)
    form = ProposeRemovalForm(request.POST, request.FILES, finding=finding)
    if form.is_valid():
        data = form.cleaned_data
        try:
            inventory.propose_removal_from_finding(
                finding, request.user, ground=data["ground"], reason=data["reason"], legal_basis=data["legal_basis"],
                document=data["document"], effective_date=data["effective_date"], successor=data["successor"] or None,
                successor_phone=data["successor_phone"], successor_email=data["successor_email"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The removal is proposed; a second official must approve it. "
                                        "The person is notified only when it is decided."))
            return redirect("queues_inventory:finding", finding.pk)
    return _finding_page(request, finding, removal_form=form, status=400)


@ability_required("file_online")
@require_http_methods(["GET", "POST"])
def answer(request, pk):
    finding = (InventoryFinding.objects.select_related("campaign__provider", "entry__holder", "entry__application")
               .filter(pk=_pk_ok(pk)).first())
    if finding is None or not inventory.holder_may_see(request.user, finding):
        raise Http404
    form = AnswerForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST":
        if form.is_valid():
            try:
                inventory.answer_finding(finding, request.user, choice=form.cleaned_data["choice"],
                                         answer=form.cleaned_data["answer"], document=form.cleaned_data["document"])
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you: your answer is saved. The department will review it."))
                return redirect("queues_inventory:answer", finding.pk)
    return render(request, "queues/inventory/answer.html", {
        "finding": finding,
        "campaign": finding.campaign,
        "text": inventory.describe_finding(finding),
        "form": form,
        "open": inventory.answer_open(finding),
        "answer_choice": dict(inventory.ANSWER_CHOICES).get(inventory.answer_choice(finding), ""),
    }, status=400 if form.errors else 200)
