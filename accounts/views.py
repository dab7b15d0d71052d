from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .forms import LoginForm
from .models import Role


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def role_home(request):
    """Everyone lands where their work is."""
    role = request.user.role
    if role == Role.APPLICANT:
        return redirect("applications:cabinet")
    if role == Role.OPERATOR:
        return redirect("applications:operator_home")
    return redirect("applications:inbox")
