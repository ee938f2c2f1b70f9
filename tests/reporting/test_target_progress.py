"""目标申报进度 (reporting/progress.py): counts by department and state, overdue after the
target deadline, only the reviewer's departments, a fixed number of queries, the XLSX and
催办 from the page."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.models import Membership, Notification
from evaluations.models import FormState
from reporting.progress import progress_rows
from tests.factories import DepartmentFactory, ProjectFactory, TargetSheetFactory, member

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def reviewer(tree):
    return member(tree["bureau"], Role.REVIEWER, username="rev")


def fill(department, year, states, prefix="项目"):
    for n, state in enumerate(states):
        project = ProjectFactory(department=department, year=year, name=f"{prefix}{n}")
        if state is not None:
            TargetSheetFactory(project=project, state=state)


def by_code(rows):
    return {r.department.code: r for r in rows}


def test_counts_by_state_and_overdue_after_the_deadline(tree, fiscal_year, reviewer):
    S = FormState
    fill(
        tree["centre"],
        fiscal_year,
        [None, None, S.DRAFT, S.RETURNED, S.PENDING_HEAD, S.SUBMITTED, S.APPROVED],
    )
    TargetSheetFactory(project=None, department=tree["centre"], year=fiscal_year, state=S.APPROVED)
    fill(tree["other"], fiscal_year, [None])
    today = timezone.localdate()
    rows, total = progress_rows(reviewer, fiscal_year, today)
    assert set(by_code(rows)) == {"100", "100001", "100002"}  # not 市教育局: not his
    centre = by_code(rows)["100001"]
    assert (centre.expected, centre.not_started, centre.draft, centre.returned) == (8, 2, 1, 1)
    assert (centre.submitted, centre.approved, centre.overdue) == (2, 2, 0)  # no deadline yet
    assert total.expected == 8 + 1 + 1 and total.not_started == 2 + 1 + 1

    fiscal_year.target_deadline = today - datetime.timedelta(days=1)
    fiscal_year.save()
    rows, total = progress_rows(reviewer, fiscal_year, today)
    assert by_code(rows)["100001"].overdue == 4  # 2 not started, a draft, a returned one
    assert total.overdue == 4 + 1 + 1
    fiscal_year.target_deadline = today  # the deadline day itself is not late
    fiscal_year.save()
    assert progress_rows(reviewer, fiscal_year, today)[1].overdue == 0


def test_page_only_for_finance_and_a_fixed_number_of_queries(
    client, tree, fiscal_year, reviewer, django_assert_max_num_queries
):
    clerk = member(tree["centre"], username="clerk")
    client.force_login(clerk)
    assert client.get(reverse("target_progress")).status_code == 404
    client.force_login(reviewer)
    url = reverse("target_progress") + f"?year={fiscal_year.year}"
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for size in (1, 12):
        fill(tree["centre"], fiscal_year, [None, FormState.DRAFT] * size, prefix=f"p{size}-")
        for n in range(size):
            DepartmentFactory(code=f"100{size:02d}{n:02d}", parent=tree["bureau"])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert 'id="progress-table"' in page.content.decode()


def test_xlsx_export_reads_back_and_escapes_formulas(client, tree, fiscal_year, reviewer):
    tree["centre"].name = '=HYPERLINK("http://x")'
    tree["centre"].save()
    fill(tree["centre"], fiscal_year, [None, FormState.SUBMITTED])
    client.force_login(reviewer)
    response = client.get(reverse("target_progress") + f"?year={fiscal_year.year}&format=xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "绩效目标申报进度表"
    assert values[2][:4] == ["序号", "单位编码", "单位", "应填报"]
    centre = next(r for r in values if r[1] == "100001")
    assert centre[3:10] == [3, 2, 0, 0, 1, 0, 0]
    assert (
        centre[2] == '=HYPERLINK("http://x")' and sheet.cell(centre_row(values), 3).data_type != "f"
    )
    assert values[-1][0] == "合计"


def centre_row(values) -> int:
    return next(i for i, r in enumerate(values, start=1) if r[1] == "100001")


def test_urge_from_the_page(
    client, tree, fiscal_year, reviewer, django_capture_on_commit_callbacks
):
    clerk = member(tree["centre"], username="clerk")
    fiscal_year.target_deadline = timezone.localdate() - datetime.timedelta(days=3)
    fiscal_year.save()
    fill(tree["centre"], fiscal_year, [None])
    client.force_login(reviewer)
    url = reverse("target_progress") + f"?year={fiscal_year.year}"
    page = client.get(url).content.decode()
    assert "data-urge-all" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"department": tree["centre"].pk}, follow=True)
    assert "已向 1 个单位发出催办" in response.content.decode()
    assert Notification.objects.filter(user=clerk, kind="urge").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"all": "1"}, follow=True)
    assert "今天已催办过" in response.content.decode()
    assert Notification.objects.filter(user=clerk, kind="urge").count() == 1
    # another reviewer's department, a word, nothing: refused with a message or a 400/404
    assert client.post(url, {"department": tree["other"].pk}, follow=True).status_code == 200
    assert client.post(url, {"department": "abc"}).status_code == 400
    assert "请选择要催办的单位" in client.post(url, {}, follow=True).content.decode()
    assert not Notification.objects.filter(user__memberships__department=tree["other"]).exists()
