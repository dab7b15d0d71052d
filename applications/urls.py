from django.urls import path

from .views import citizen, files, operator, staff, workflow

app_name = "applications"
urlpatterns = [
    path("cabinet/", citizen.cabinet, name="cabinet"),
    path("cabinet/apply/", citizen.apply_start, name="apply_start"),
    path("cabinet/apply/<slug:step>/", citizen.apply_step, name="apply_step"),
    path("cabinet/apply/submit/<int:draft_id>/", citizen.apply_submit, name="apply_submit"),
    path("cabinet/applications/<str:number>/", citizen.case_status, name="case_status"),
    path("cabinet/applications/<str:number>/submitted/", citizen.submitted, name="submitted"),
    path("operator/", operator.home, name="operator_home"),
    path("operator/new/", operator.new_application, name="operator_new"),
    path("operator/cases/<str:number>/", operator.accepted, name="operator_case"),
    path("operator/refusals/<str:number>/", operator.refusal, name="operator_refusal"),
    path("staff/inbox/", staff.inbox, name="inbox"),
    path("staff/cases/<str:number>/", staff.case_detail, name="staff_case"),
    path("staff/cases/<str:number>/do/<slug:action>/", workflow.case_action, name="case_action"),
    path("staff/complaints/", workflow.complaint_list, name="complaints"),
    path("staff/complaints/<str:number>/", workflow.complaint_answer, name="complaint"),
    path("cabinet/applications/<str:number>/withdraw/", workflow.withdraw, name="withdraw"),
    path("cabinet/applications/<str:number>/complaint/", workflow.complain, name="complain"),
    path("cabinet/applications/<str:number>/documents/", workflow.upload_requested, name="upload_requested"),
    path("attachments/<int:pk>/", files.attachment, name="attachment"),
]
