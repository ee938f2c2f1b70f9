"""个人信息: the name (User.first_name, as the users import writes it) and the 联系电话 and 职务
(Profile) that the standard tables print on their 填表人 line. Every user edits their own;
each change is audited."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from core.audit import audit_record, diff

from .models import Profile


class ProfileForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=150)
    phone = forms.CharField(
        label="联系电话",
        max_length=40,
        required=False,
        validators=Profile._meta.get_field("phone").validators,
        help_text="印在各标准表“填表人”一行，如 0715-8256789 转 801。",
    )
    title = forms.CharField(label="职务", max_length=50, required=False)
    email_notices = forms.BooleanField(
        label="接收邮件通知",
        required=False,
        help_text="退回、审核通过、截止提醒、催办等消息同时发到您的邮箱；关闭后只在“消息”中显示。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update(
                required=f"请填写{field.label}。",
                max_length=f"{field.label}不能超过%(limit_value)d个字。",
            )


def profile_of(user) -> Profile:
    """The user's profile; an unsaved empty one when they never saved it."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user)


def profile_update(
    *, user, name: str, phone: str, title: str, email_notices: bool | None = None
) -> bool:
    """Store the user's own name, phone and title; one audit record when anything changed.
    Returns whether anything changed."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(user=user).first() or Profile(
            user=user
        )
        old = {
            "first_name": user.first_name,
            "phone": profile.phone,
            "title": profile.title,
            "email_notices": profile.email_notices,
        }
        new = {
            "first_name": name.strip(),
            "phone": phone.strip(),
            "title": title.strip(),
            "email_notices": profile.email_notices if email_notices is None else email_notices,
        }
        changes = diff(old, new)
        if not changes:
            return False
        if "first_name" in changes:
            user.first_name = new["first_name"]
            user.save(update_fields=["first_name"])
        profile.phone, profile.title = new["phone"], new["title"]
        profile.email_notices = new["email_notices"]
        profile.full_clean()
        profile.save()
        audit_record(actor=user, action="个人信息·修改", obj=profile, changes=changes)
    return True


@login_required
def profile(request):
    current = profile_of(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            changed = profile_update(user=request.user, **form.cleaned_data)
            messages.success(request, "已保存个人信息。" if changed else "个人信息没有变化。")
            return redirect("profile")
    else:
        form = ProfileForm(
            initial={
                "name": request.user.first_name,
                "phone": current.phone,
                "title": current.title,
                "email_notices": current.email_notices,
            }
        )
    return render(request, "budgets/profile.html", {"form": form})
