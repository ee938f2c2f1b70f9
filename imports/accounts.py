"""First login of an imported account: a one-time link on which its owner sets their password.

An imported account has an unusable password. The administrator who imported it sees, on the
import's result page (and in 系统管理 → 用户, action “生成首次登录链接”), one link per account
that has never logged in, and hands it over in person or by the unit's own channel. The link is
Django's password-reset token (`default_token_generator`): it is computed when the page is shown
and stored nowhere, it stops working once a password is set (the token covers the password
hash and the last login) and after PASSWORD_RESET_TIMEOUT (3 days; a new one can be made any
time). No password is ever in a file, a log, an audit record or an e-mail body: the person types
it on the page, and only its hash is stored.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def awaiting_first_login(user) -> bool:
    return not user.has_usable_password() and user.last_login is None and user.is_active


def first_login_link(request, user) -> str | None:
    """The absolute one-time link of an account that still has to set its password."""
    if not awaiting_first_login(user):
        return None
    path = reverse(
        "account_activate",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    return request.build_absolute_uri(path)


def first_login_links(request, users) -> list[tuple[object, str]]:
    return [(u, link) for u in users if (link := first_login_link(request, u))]


def users_of_job(job):
    """The accounts an import of users created or changed (from the rows it shows)."""
    names = {row["label"].split(" ", 1)[0] for row in job.preview if row.get("status") == "new"}
    return get_user_model().objects.filter(username__in=names).order_by("username")


class ActivateView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm view (the token leaves the URL at once for a session key) with
    the site's layout; after it the person logs in with the new password."""

    template_name = "registration/activate.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "密码已设置，请用新密码登录。")
        return response
