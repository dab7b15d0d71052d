from .access import has_ability


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "nav": {
            "file_online": has_ability(user, "file_online"),
            "operator": has_ability(user, "enter_paper_application"),
            "inbox": has_ability(user, "view_inbox"),
            "queue": has_ability(user, "view_queue_lists"),  # lists with numbers, removals, publications, inventory
            "allocation": has_ability(user, "view_allocation"),  # housing allocation rounds and stock (allocation/)
        }
    }
