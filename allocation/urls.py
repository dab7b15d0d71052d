from django.urls import path

from . import views, views_people

app_name = "allocation"
# Included at "" (housing_queue/urls.py). The public register sits under queue/skips/ with three path segments for a
# round, so the public list pages (queue/<provider>/<list>/) never swallow it.
urlpatterns = [
    path("staff/allocation/", views.round_list, name="rounds"),
    path("staff/allocation/rounds/new/", views.round_create, name="round_create"),
    path("staff/allocation/rounds/<int:pk>/", views.round_detail, name="round"),
    path("staff/allocation/rounds/<int:pk>/dwellings/", views.round_dwellings, name="round_dwellings"),
    path("staff/allocation/rounds/<int:pk>/dwellings/<int:dwelling_pk>/remove/", views.round_remove_dwelling,
         name="round_remove_dwelling"),
    path("staff/allocation/rounds/<int:pk>/shares/", views.round_shares, name="round_shares"),
    path("staff/allocation/rounds/<int:pk>/propose/", views.round_propose, name="round_propose"),
    path("staff/allocation/rounds/<int:pk>/send/", views.round_send, name="round_send"),
    path("staff/allocation/rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("staff/allocation/skips/<int:pk>/decide/", views.skip_decide, name="skip_decide"),
    path("staff/allocation/offers/<int:pk>/decision/", views.decision_draft, name="decision_draft"),
    path("staff/allocation/decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("staff/allocation/decisions/<int:pk>/sign/prepare/", views.decision_prepare, name="decision_prepare"),
    path("staff/allocation/decisions/<int:pk>/sign/", views.decision_sign, name="decision_sign"),
    path("staff/allocation/dwellings/", views.dwellings, name="dwellings"),
    path("staff/allocation/dwellings/new/", views.dwelling_add, name="dwelling_add"),
    path("staff/allocation/dwellings/import/", views.dwelling_import, name="dwelling_import"),
    path("staff/allocation/dwellings/<int:pk>/withdraw/", views.dwelling_withdraw, name="dwelling_withdraw"),
    # the ЦОН operator records a person's answer (cases entered at the operator's branch)
    path("staff/allocation/centre/", views_people.centre, name="centre"),
    path("staff/allocation/centre/offers/<int:pk>/", views_people.centre_offer, name="centre_offer"),
    # the holder's offer in the personal cabinet
    path("cabinet/offers/<int:pk>/", views_people.offer, name="offer"),
    # the public register of skips and results per round (no login)
    path("queue/skips/", views_people.public_rounds, name="public_rounds"),
    path("queue/skips/rounds/<int:pk>/", views_people.public_round, name="public_round"),
]
