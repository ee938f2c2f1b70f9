"""消息: what the system tells a user — in the 消息 centre (unread count in the header) and by
e-mail through Django's mail settings, unless the user turned e-mail off on 个人信息.

`notify` is the one way to send: it does nothing until the current transaction commits (a
transition that rolls back tells nobody), then stores one message per user and mails those who
have an address and want mail. A message with a `key` is sent at most once per user (the day's
deadline reminder): the key is unique per user in the database. A mail server that fails is
logged; it never fails the action that caused the message (the message is in the centre anyway).

The events themselves (退回, 审核通过, …) are written by evaluations.services.notices.
"""

import logging
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.mail import EmailMessage, get_connection
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Department, Membership, Notification

log = logging.getLogger(__name__)

KINDS = {
    "returned": "退回",
    "approved": "审核通过",
    "reopened": "重新打开",
    "forwarded": "报送财政",
    "review": "待审核",
    "adjustment": "目标调整",
    "deadline": "截止提醒",
    "urge": "催办",
    "monitoring": "绩效监控",
    "rectification": "整改",
}
PAGE_SIZE = 50


def notify(users: Iterable, *, kind: str, title: str, body: str = "", url: str = "", key: str = ""):
    """Tell `users` (users or ids) once the current transaction commits (at once outside one)."""
    ids = sorted({getattr(u, "pk", u) for u in users if u is not None})
    if ids:
        transaction.on_commit(
            lambda: deliver(ids, kind=kind, title=title, body=body, url=url, key=key)
        )


def deliver(ids: list[int], *, kind: str, title: str, body: str, url: str, key: str) -> list[int]:
    """Store the messages and send the mails now; returns the ids of the users told (those who
    already had `key` are not told again)."""
    if key:
        had = set(
            Notification.objects.filter(key=key, user_id__in=ids).values_list("user_id", flat=True)
        )
        ids = [i for i in ids if i not in had]
    rows = [
        Notification(user_id=i, kind=kind, title=title[:200], body=body, url=url, key=key)
        for i in ids
    ]
    # a racing second sender (two beats) loses on the unique key instead of doubling the message
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    _mail(ids, title, body, url)
    return ids


def _mail(ids: list[int], title: str, body: str, url: str) -> None:
    recipients = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .exclude(profile__email_notices=False)
        .values_list("email", flat=True)
    )
    link = f"\n\n查看：{settings.SITE_URL.rstrip('/')}{url}" if url else ""
    mails = [
        EmailMessage(
            subject=f"【预算绩效自评系统】{title}",
            body=f"{body}{link}\n\n（本邮件由系统发出，请勿回复；可在“个人信息”中关闭邮件通知。）",
            to=[address],
        )
        for address in recipients
    ]
    if not mails:
        return
    try:
        get_connection().send_messages(mails)
    except Exception:  # the message is in the centre; a mail server's trouble is only logged
        log.exception("sending %d notification mails failed", len(mails))


def unit_users(department_ids: Iterable[int]) -> dict[int, set[int]]:
    """Who is told about a department's forms: its own clerks and heads, or, for a department
    without any, those of its nearest ancestor that has some (a 主管部门 filling for its 所属单位).
    {department id: user ids}. A query per level of the tree (two or three)."""
    wanted = set(department_ids)
    found: dict[int, set[int]] = {}
    asking = {d: d for d in wanted}  # department asked about → the one whose people we look for
    while asking:
        members: dict[int, set[int]] = {}
        for user_id, department_id in Membership.objects.filter(
            department_id__in=set(asking.values()),
            role__in=[Membership.Role.CLERK, Membership.Role.HEAD],
            user__is_active=True,
        ).values_list("user_id", "department_id"):
            members.setdefault(department_id, set()).add(user_id)
        missing = {}
        for origin, current in asking.items():
            if current in members:
                found[origin] = members[current]
            else:
                missing[origin] = current
        if not missing:
            break
        parents = dict(
            Department.objects.filter(pk__in=set(missing.values())).values_list("pk", "parent_id")
        )
        asking = {o: parents[c] for o, c in missing.items() if parents.get(c) is not None}
    return found


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


# --- the 消息 centre


class ReadForm(forms.Form):
    id = forms.IntegerField(required=False)
    action = forms.ChoiceField(choices=[("read", "read"), ("open", "open"), ("all", "all")])


@login_required
def notifications(request):
    """The signed-in user's own messages (no id in the address: nobody else's can be named).
    POST: mark one read (`read`), mark one read and follow its link (`open`), or all (`all`)."""
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        form = ReadForm(request.POST)
        if not form.is_valid():
            messages.error(request, "操作无效，请重试。")
            return redirect("notifications")
        action, pk = form.cleaned_data["action"], form.cleaned_data["id"]
        now = timezone.now()
        if action == "all":
            n = mine.filter(read_at=None).update(read_at=now)
            messages.success(request, f"已将 {n} 条消息标为已读。" if n else "没有未读消息。")
            return redirect("notifications")
        note = mine.filter(pk=pk).first()
        if note is None:
            messages.error(request, "未找到该消息。")
            return redirect("notifications")
        mine.filter(pk=note.pk, read_at=None).update(read_at=now)
        if action == "open" and note.url and url_has_allowed_host_and_scheme(note.url, None):
            return redirect(note.url)
        return redirect("notifications")
    unread_only = request.GET.get("unread") == "1"
    shown = mine.filter(read_at=None) if unread_only else mine
    page = Paginator(shown.order_by("-created", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for note in page.object_list:
        note.label = KINDS.get(note.kind, note.kind)
    return render(
        request,
        "budgets/notifications.html",
        {
            "page": page,
            "rows": page.object_list,
            "unread_only": unread_only,
            "query": "unread=1" if unread_only else "",
        },
    )
