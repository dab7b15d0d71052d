from .access import has_ability


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "nav": {
            "file_online": has_ability(user, "file_online"),
            "operator": has_ability(user, "enter_paper_application"),
            "inbox": has_ability(user, "view_inbox"),
        }
    }
