from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .models import Role


class IinOrUsernameBackend(ModelBackend):
    """Citizens type their 12-digit IIN; staff their username. Both check the hashed password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        try:
            if login.isdigit() and len(login) == 12:
                user = User.objects.get(iin=login, role=Role.APPLICANT)
            else:
                user = User.objects.get(username__iexact=login)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle for unknown logins
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """Every staff page reads the user's branch or department: fetched with the user, not one query each."""
        User = get_user_model()
        try:
            user = User._default_manager.select_related("service_centre", "provider").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
