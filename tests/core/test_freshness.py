"""数据版本 (core/freshness.py): every committed write to the data makes a new generation, and the
page parts cached under it (绩效看板, 审核工作台) are never older than the data."""

import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import Department, Membership, Notification
from core import freshness
from core.audit import audit_record
from core.models import DataGeneration
from evaluations.models import FormState, IndicatorCategory, SelfEvaluation
from tests.factories import DepartmentFactory, UserFactory, member

Role = Membership.Role
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the generation ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_makes_a_new_generation_and_only_then():
    before = freshness.generation()
    with transaction.atomic():
        DepartmentFactory(code="900", name="甲单位")
        assert freshness.generation() == before  # written, not committed: others see the old
    after_commit = freshness.generation()
    assert after_commit != before
    Department.objects.filter(code="900").update(name="乙单位")  # autocommit: at once
    after_update = freshness.generation()
    assert after_update != after_commit
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE budgets_department SET name = name")
    assert freshness.generation() != after_update


@pytest.mark.django_db(transaction=True)
def test_autocommit_inserts_are_kept_and_make_a_new_generation():
    """An INSERT … RETURNING in autocommit is still running when the wrapper sees it: on SQLite
    a bump then would fail to commit and lose the row (the next insert took its id)."""
    before = freshness.generation()
    parent = DepartmentFactory(code="920")
    child = DepartmentFactory(code="921", parent=parent)
    assert child.pk != parent.pk
    assert Department.objects.filter(code__in=["920", "921"]).count() == 2
    assert freshness.generation() != before
    with transaction.atomic():  # a pending bump is not taken into a transaction
        DepartmentFactory(code="922")
        transaction.set_rollback(True)
    assert Department.objects.filter(code="922").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_and_writes_outside_the_data_leave_it():
    user = UserFactory()
    before = freshness.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        DepartmentFactory(code="901")
        raise RuntimeError("回滚")
    Notification.objects.create(user=user, kind="test", title="消息不是数据")
    audit_record(actor=user, action="test", obj=user, reason="操作记录不是数据")
    user.last_login = None
    user.save()
    assert freshness.generation() == before


@pytest.mark.django_db(transaction=True)
def test_one_bump_a_transaction_whatever_it_writes():
    freshness.bump()  # the row exists (the first bump makes it)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for n in range(5):
            DepartmentFactory(code=f"91{n}")
    bumps = [q for q in queries.captured_queries if "core_datageneration" in q["sql"]]
    assert len(bumps) == 1, bumps  # the UPDATE after the commit


@pytest.mark.django_db(transaction=True)
def test_the_generation_never_comes_back_after_a_restore():
    freshness.bump()
    seen = DataGeneration.objects.get(pk=1).value
    DataGeneration.objects.filter(pk=1).update(value=5)  # a backup's older value
    freshness.bump()
    assert DataGeneration.objects.get(pk=1).value > seen  # at least the time in µs
    DataGeneration.objects.all().delete()  # a flushed table: made again
    assert freshness.generation().startswith("0.")
    freshness.bump()
    assert DataGeneration.objects.get(pk=1).value > seen


@pytest.mark.django_db
def test_in_a_test_transaction_a_write_still_makes_a_new_generation():
    before = freshness.generation()
    DepartmentFactory()
    assert freshness.generation() != before


# --- the cached parts ------------------------------------------------------------------------


def _page(client, name, **params):
    response = client.get(reverse(name), {"year": 2025, **params})
    assert response.status_code == 200
    return response


def drawn(response, *names) -> bool:
    """Whether a template was drawn with any of `names` in its context (a page taken whole from
    the cache draws none)."""
    return response.context is not None and any(name in response.context for name in names)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dashboard", "review_queue"])
def test_a_second_request_is_the_cached_part_and_a_write_draws_it_again(client, tree, forms, name):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    first = _page(client, name, state="")
    assert "year" in first.context and "filters" in first.context or "board" in first.context
    with CaptureQueriesContext(connection) as queries:
        second = _page(client, name, state="")
    assert second.context is None  # the whole page from the cache: nothing drawn, nothing read
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # the session, the user, the unread count, the generation, the session saved
    assert len(sql) == 5 and not any("budgets_membership" in q for q in sql), "\n".join(sql)
    strip = lambda r: TOKEN.sub("", re.sub(r'name="as_of" value="[^"]+"', "", r.content.decode()))  # noqa: E731
    assert strip(first) == strip(second)
    # a form approved: both pages show it at once
    SelfEvaluation.objects.filter(pk=forms["a"].pk).update(state=FormState.APPROVED)
    third = _page(client, name, state="")
    assert strip(third) != strip(second)
    if name == "review_queue":
        assert third.context["counts"]["approved"] == first.context["counts"]["approved"] + 1


@pytest.mark.django_db
def test_the_part_is_shared_by_the_same_access_only(client, tree, forms):
    bureau_reviewer = member(tree["bureau"], Role.REVIEWER)
    colleague = member(tree["bureau"], Role.REVIEWER)
    other = member(tree["other"], Role.REVIEWER)
    client.force_login(bureau_reviewer)
    mine = _page(client, "review_queue", state="").content.decode()
    assert "项目a" in mine and "项目d" not in mine
    client.force_login(other)
    theirs = _page(client, "review_queue", state="")
    assert drawn(theirs, "rows")  # drawn for them, not taken from the bureau's
    assert "项目d" in theirs.content.decode() and "项目a" not in theirs.content.decode()
    client.force_login(colleague)
    shared = _page(client, "review_queue", state="")
    assert drawn(shared, "part") and not drawn(shared, "rows")  # his page around the shared part
    assert "项目a" in shared.content.decode() and colleague.username in shared.content.decode()


@pytest.mark.django_db
def test_a_cached_part_carries_the_requests_own_csrf_token(tree, forms):
    first, second = (Client(enforce_csrf_checks=True) for _ in range(2))
    first.force_login(member(tree["bureau"], Role.REVIEWER))
    second.force_login(member(tree["bureau"], Role.REVIEWER))
    _page(first, "review_queue", state="submitted")
    page = _page(second, "review_queue", state="submitted").content.decode()  # the cached part
    tokens = TOKEN.findall(page)
    assert tokens and freshness.CSRF_MARK not in page
    response = second.post(
        reverse("review_bulk"),
        {"csrfmiddlewaretoken": tokens[-1], "year": 2025, "action": "approve", "scope": "picked"},
    )
    assert response.status_code != 403  # its own token: accepted (then refused for no pick)


@pytest.mark.django_db
def test_without_the_cache_or_with_it_down_the_page_is_drawn(client, tree, forms, settings):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert drawn(_page(client, "review_queue"), "rows")
        assert not any("core_datageneration" in q["sql"] for q in queries.captured_queries)
    settings.PAGE_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    from django.core.cache import caches

    caches._settings = None  # noqa: SLF001  (read the new CACHES)
    try:
        body = _page(client, "dashboard").content.decode()
    finally:
        caches._settings = None  # noqa: SLF001
    assert "绩效看板" in body


@pytest.mark.django_db
def test_the_home_is_cached_for_its_user_and_drawn_again_after_a_write(tree, forms):
    clerk = member(tree["centre"], Role.CLERK)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    first = client.get(reverse("home"), {"year": 2025})
    assert drawn(first, "todo")
    second = client.get(reverse("home"), {"year": 2025})
    assert not drawn(second, "todo", "part")  # the cached page
    body = second.content.decode()
    assert freshness.CSRF_MARK not in body
    # its 开始 buttons carry this request's token: starting a form works from the cached page
    token = TOKEN.findall(body)[0]
    project = forms["b"].project
    response = client.post(
        reverse("evaluation_start"), {"csrfmiddlewaretoken": token, "project": project.pk}
    )
    assert response.status_code != 403
    another = member(tree["centre"], Role.CLERK)  # the same access, another user: his own
    client.force_login(another)
    assert drawn(client.get(reverse("home"), {"year": 2025}), "todo")


@pytest.mark.django_db
def test_an_administrators_home_is_always_drawn(client, admin_user, fiscal_year):
    client.force_login(admin_user)
    for _ in range(2):
        assert drawn(client.get(reverse("home")), "todo")  # failed jobs are not data


@pytest.mark.django_db(transaction=True)
def test_rows_written_by_copy_make_a_new_generation():
    """core.bulk.rows_create writes by COPY on PostgreSQL, past the connection's wrapper."""
    from core.bulk import rows_create
    from tests.factories import TargetSheetFactory, year_create

    sheet = TargetSheetFactory(year=year_create(2025))
    category = IndicatorCategory.objects.filter(year=sheet.year, parent__isnull=False).first()
    before = freshness.generation()
    with transaction.atomic():
        rows_create(
            sheet.indicators.model,
            [
                {
                    "sheet_id": sheet.pk,
                    "category_id": category.pk,
                    "name": "新指标",
                    "order": 9,
                    "weight": 5,
                    "comparator": "≥",
                    "target_value": "1",
                }
            ],
        )
    assert freshness.generation() != before


@pytest.mark.django_db
def test_the_form_as_stored_is_cached_for_its_user_and_a_save_draws_it_again(
    tree, evaluation, clerk
):
    from tests.factories import GOOD, post_data

    url = reverse("evaluation", args=[evaluation.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    first = client.get(url)
    assert drawn(first, "lines")
    second = client.get(url)
    assert not drawn(second, "lines", "part")  # the cached page
    body = second.content.decode()
    assert TOKEN.sub("", body) == TOKEN.sub("", first.content.decode())
    assert freshness.CSRF_MARK not in body and 'src="/static/js/evaluation.js"' in body
    # saved through the cached page's own token; the page after the save shows what was saved
    token = TOKEN.findall(body)[0]
    data = post_data(evaluation, GOOD, actual_text="缓存之后保存的文字")
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    after = client.get(url)
    assert drawn(after, "lines") and "缓存之后保存的文字" in after.content.decode()
    # a refused save is drawn with what was typed, and leaves the cache as it was
    evaluation.refresh_from_db()
    typed = post_data(evaluation, GOOD, **{"executed-current": "三十", "actual_text": "未保存的字"})
    refused = client.post(url, {**typed, "csrfmiddlewaretoken": token}).content.decode()
    assert "未保存的字" in refused and "填写有误，未保存" in refused
    again = client.get(url)
    assert not drawn(again, "lines") and "未保存的字" not in again.content.decode()
    # another user of the same department: drawn for him (his roles may differ)
    colleague = member(tree["centre"], Role.CLERK)
    client.force_login(colleague)
    assert drawn(client.get(url), "lines")
    # out of reach: 404 before any cache is read
    client.force_login(member(tree["other"], Role.CLERK))
    assert client.get(url).status_code == 404


# --- the pages cached whole ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_from_the_cache_shows_the_header_as_it_is_now(tree, forms):
    """消息 and the user's name are not data: the header shows them as they are, the part may
    stay the cached one."""
    clerk = member(tree["centre"], Role.CLERK, first_name="")
    client = Client()
    client.force_login(clerk)
    _page(client, "home")
    assert not drawn(_page(client, "home"), "part")
    Notification.objects.create(user=clerk, kind="test", title="新消息")
    page = _page(client, "home")
    assert drawn(page, "part") and not drawn(page, "todo")  # the frame again, the part cached
    assert 'data-unread="1"' in page.content.decode()
    clerk.first_name = "新名"
    clerk.save()
    assert "新名" in _page(client, "home").content.decode()


@pytest.mark.django_db
def test_a_message_is_shown_once_and_its_page_is_not_kept(tree, evaluation, clerk):
    from tests.factories import GOOD, post_data

    url = reverse("evaluation", args=[evaluation.pk])
    client = Client()
    client.force_login(clerk)
    assert client.post(url, post_data(evaluation, GOOD)).status_code == 302
    with_message = client.get(url).content.decode()
    assert "已保存草稿。" in with_message
    after = client.get(url)
    assert drawn(after, "part") and "已保存草稿。" not in after.content.decode()
    cached = client.get(url)
    assert not drawn(cached, "part") and "已保存草稿。" not in cached.content.decode()


@pytest.mark.django_db
def test_a_cached_page_is_not_shown_to_a_user_who_lost_the_access(tree, evaluation, clerk):
    url = reverse("evaluation", args=[evaluation.pk])
    client = Client()
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    assert not drawn(client.get(url), "part")  # from the cache
    Membership.objects.filter(user=clerk).delete()  # data: a new generation
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_new_release_draws_every_page_again(client, tree, forms, settings):
    """Servers of two releases share the cache during an upgrade: each shows its own pages."""
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    try:
        settings.RELEASE = "1"
        freshness.release.cache_clear()
        _page(client, "review_queue")
        assert not drawn(_page(client, "review_queue"), "rows")
        settings.RELEASE = "2"
        freshness.release.cache_clear()
        assert drawn(_page(client, "review_queue"), "rows")
    finally:
        freshness.release.cache_clear()


def test_the_release_is_read_off_the_code(settings, tmp_path):
    (tmp_path / "static").mkdir()
    script = tmp_path / "static" / "app.js"
    script.write_text("one")
    settings.BASE_DIR, settings.STATICFILES_DIRS, settings.RELEASE = tmp_path, [script.parent], ""
    try:
        freshness.release.cache_clear()
        first = freshness.release()
        script.write_text("two")
        freshness.release.cache_clear()
        assert freshness.release() != first
        script.write_text("one")  # the same code on another server: the same release
        freshness.release.cache_clear()
        assert freshness.release() == first
    finally:
        freshness.release.cache_clear()
