"""The finance dashboard against a small dataset computed by hand, its drill-down links, its
access and its query budget; a department's self-evaluation page with its projects' scores and
the computed common indicators."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.access import access_for
from budgets.models import Membership
from evaluations.models import FormState, SelfEvaluation, TargetAdjustment, TargetSheet
from reporting import charts, dashboard
from tests.factories import (
    DepartmentBudgetFactory,
    DepartmentFactory,
    IndicatorFactory,
    ProjectFactory,
    SelfEvaluationFactory,
    TargetSheetFactory,
    member,
)

pytestmark = pytest.mark.django_db
D = Decimal
Role = Membership.Role
S = FormState
FLAG = {
    "code": "full_marks_low_execution",
    "message": "绩效指标全部满分（90分），但……",
    "line": None,
}


def project_evaluation(department, year, name, state, rate=None, execution=None, total=None, **kw):
    project = ProjectFactory(department=department, year=year, name=name, code=kw.pop("code"))
    TargetSheetFactory(project=project, state=S.APPROVED)
    return SelfEvaluationFactory(
        project=project,
        state=state,
        execution_rate=rate and D(rate),
        execution_score=execution and D(execution),
        total_score=total and D(total),
        grade=kw.pop("grade", ""),
        **kw,
    )


@pytest.fixture
def data(tree, fiscal_year):
    """Reviewer of the bureau sees 100 (bureau), 100001 (centre), 100002 (hotline); 200 is
    another reviewer's. The deadline was yesterday."""
    fiscal_year.evaluation_deadline = timezone.localdate() - datetime.timedelta(days=1)
    fiscal_year.save()
    y, centre, hotline = fiscal_year, tree["centre"], tree["hotline"]
    forms = {
        # 执行率 50%, 指标得分率 90/90: spent little, achieved all (mismatch)
        "p1": project_evaluation(
            centre,
            y,
            "平台建设",
            S.SUBMITTED,
            "0.5",
            "5",
            "95",
            grade="优",
            flags=[FLAG],
            code="P1",
        ),
        # 执行率 95%, 指标得分率 50/90 = 55.56%: spent, did not achieve (mismatch)
        "p2": project_evaluation(
            centre, y, "大楼运维", S.APPROVED, "0.95", "9.5", "59.5", grade="差", code="P2"
        ),
        # 执行率 80%, 指标得分率 72/90 = 80%
        "p4": project_evaluation(
            hotline, y, "热线运营", S.DRAFT, "0.8", "8", "80", grade="良", code="P4"
        ),
        "p5": project_evaluation(hotline, y, "话务外包", S.RETURNED, code="P5"),
        "bureau": SelfEvaluationFactory(
            project=None,
            year=y,
            department=tree["bureau"],
            state=S.APPROVED,
            execution_rate=D("0.9"),
            execution_score=D("9"),
            total_score=D("88"),
            grade="良",
        ),
        # another reviewer's department: never counted
        "other": project_evaluation(
            tree["other"], y, "学校建设", S.SUBMITTED, "0.2", "2", "30", grade="差", code="P6"
        ),
    }
    # not started: a project with approved targets, and the hotline's 部门整体 targets
    TargetSheetFactory(
        project=ProjectFactory(department=centre, year=y, name="数据治理", code="P3"),
        state=S.APPROVED,
    )
    TargetSheet.objects.create(year=y, department=hotline, project=None, state=S.APPROVED)
    return forms


@pytest.fixture
def reviewer(tree):
    return member(tree["bureau"], Role.REVIEWER)


def test_figures_match_the_hand_computed_dataset(data, reviewer, fiscal_year):
    board = dashboard.dashboard_for(reviewer, fiscal_year)
    assert board.counts == {
        "draft": 1,
        "pending_head": 0,
        "pending_super": 0,
        "submitted": 1,
        "returned": 1,
        "approved": 2,
    }
    assert [(m.department.code, m.code, m.title) for m in board.not_started] == [
        ("100001", "P3", "数据治理"),
        ("100002", "", "部门整体支出"),
    ]
    assert (board.started, board.expected) == (5, 7)
    assert board.overdue == 2  # the draft and the returned form, after the deadline
    # grades only of the forms handed in: the draft's 良 (p4) and the returned p5 apart
    assert board.grades == {"优": 1, "良": 1, "中": 0, "差": 1} and board.ungraded == 0
    assert board.grades_by_state["良"] == {"submitted": 0, "approved": 1}
    assert board.apart == {"draft": 1, "pending_head": 0, "pending_super": 0, "returned": 1}
    assert board.idle == [] and board.pending_adjustments == 0

    bureau, centre, hotline = board.departments
    assert bureau.department.code == "100" and bureau.own.pk == data["bureau"].pk
    assert (bureau.evaluations, bureau.scored, bureau.mean) == (0, 0, None)
    # centre: 95 and 59.5 → mean 77.25, population standard deviation 17.75
    assert (centre.evaluations, centre.not_started, centre.scored) == (2, 1, 2)
    assert (centre.mean, centre.minimum, centre.maximum, centre.spread) == (
        D("77.25"),
        D("59.5"),
        D("95"),
        D("17.75"),
    )
    assert (hotline.evaluations, hotline.not_started, hotline.mean, hotline.spread) == (
        2,
        0,
        D("80.00"),
        D("0.00"),
    )

    points = {p.form.project_name: p for p in board.points}
    assert set(points) == {"平台建设", "大楼运维", "热线运营"}  # scored projects only
    assert (points["平台建设"].achievement, points["平台建设"].mismatch) == (D("1"), True)
    assert round(points["大楼运维"].achievement, 4) == D("0.5556")
    assert points["大楼运维"].mismatch is True
    assert (points["热线运营"].achievement, points["热线运营"].mismatch) == (D("0.8"), False)
    assert [p.form.project_name for p in board.mismatches] == ["平台建设", "大楼运维"]

    assert [f.project_name for f in board.weakest] == ["大楼运维", "热线运营", "平台建设"]
    assert board.flag_counts == {"full_marks_low_execution": 1}
    assert [f.pk for f in board.flagged] == [data["p1"].pk] and board.flagged_count == 1


def test_administrator_sees_every_department(data, admin_user, fiscal_year):
    board = dashboard.dashboard_for(admin_user, fiscal_year)
    assert board.counts["submitted"] == 2  # p1 and the other department's
    assert board.grades["差"] == 2  # p2 (approved) and the other department's (submitted)
    assert [r.department.code for r in board.departments] == ["100", "100001", "100002", "200"]


@pytest.mark.parametrize(
    "rate,achievement,expected",
    [
        ("0.59", "0.9", True),
        ("0.6", "0.9", False),
        ("0.59", "0.89", False),
        ("0.9", "0.59", True),
        ("0.89", "0.59", False),
        ("1.3", "0.1", True),
        ("0.9", "0.6", False),
    ],
)
def test_mismatch_rule(rate, achievement, expected):
    assert dashboard.is_mismatch(D(rate), D(achievement)) is expected


def test_page_numbers_and_drill_down_to_the_forms_behind_them(client, data, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("dashboard"), {"year": 2025})
    assert response.status_code == 200
    body = response.content.decode()
    tiles = dict(re.findall(r'id="tile-([\w-]+)">(\d+)<', body))
    assert tiles == {
        "expected": "7",
        "not-started": "2",
        "submitted": "1",
        "approved": "2",
        "overdue": "2",
        "flagged": "1",
        "mismatches": "2",
        "adjustments": "0",
    }
    assert "学校建设" not in body  # another reviewer's department

    # every count links to the review queue filtered to exactly those forms
    board = response.context["board"]
    links = {b.label: (b.value, b.href) for b in board.state_chart.bars + board.grade_chart.bars}
    assert links["未开始"] == (2, "#not-started")
    for label, (value, href) in links.items():
        if not href.startswith("/review/"):
            continue
        assert f'href="{href.replace("&", "&amp;")}"' in body
        queue = client.get(href)
        assert queue.context["page"].paginator.count == value, label
    # a grade's forms in each handed-in state, each number opening exactly those forms
    for grade, cells, total in board.grade_table:
        assert sum(n for n, _ in cells) == total == board.grades[grade]
        for n, href in cells:
            assert f'href="{href.replace("&", "&amp;")}"' in body
            assert client.get(href).context["page"].paginator.count == n, (grade, href)
    # departments link to their forms in the queue; points and lists to the forms themselves
    centre = data["p1"].department
    queue = client.get(dashboard.queue_url(board.year, department=centre.pk))
    assert queue.context["page"].paginator.count == 2
    for key in ("p1", "p2", "p4", "bureau"):
        assert reverse("evaluation", args=[data[key].pk]) in body
    assert body.count('<circle class="dot') == 3
    assert body.count('class="dot mismatch') == 2


def test_only_reviewers_and_administrators(client, tree, data, admin_user):
    url = reverse("dashboard")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(member(tree["centre"], Role.CLERK))
    assert client.get(url).status_code == 404
    client.force_login(member(tree["bureau"], Role.HEAD))
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url, {"year": 2025}).status_code == 200
    reviewer = member(tree["other"], Role.REVIEWER)
    client.force_login(reviewer)
    body = client.get(url, {"year": 2025}).content.decode()
    assert "学校建设" in body and "平台建设" not in body and "市政府大数据中心" not in body


def test_empty_year_and_no_year(client, reviewer, fiscal_year):
    client.force_login(reviewer)
    body = client.get(reverse("dashboard")).content.decode()
    assert "本年度尚无已评分且有执行率的项目" in body and 'id="tile-expected">0<' in body
    fiscal_year.delete()
    assert "尚未设置年度" in client.get(reverse("dashboard")).content.decode()


def _more_departments(tree, fiscal_year, n: int) -> None:
    for k in range(n):
        unit = DepartmentFactory(code=f"100{k:03d}X", parent=tree["bureau"])
        for j, state in enumerate((S.DRAFT, S.SUBMITTED, S.APPROVED)):
            project_evaluation(
                unit,
                fiscal_year,
                f"项目{k}-{j}",
                state,
                "0.7",
                "7",
                f"{60 + j}",
                grade="中",
                flags=[FLAG] if j else [],
                code=f"X{k:03d}{j}",
            )
        TargetSheetFactory(
            project=ProjectFactory(department=unit, year=fiscal_year, code=f"Y{k:03d}"),
            state=S.APPROVED,
        )
        SelfEvaluation.objects.create(year=fiscal_year, department=unit, state=S.DRAFT)
        DepartmentFactory(code=f"100{k:03d}Z", parent=tree["bureau"])  # nothing started
        TargetAdjustment.objects.create(
            indicator=IndicatorFactory(sheet=TargetSheet.objects.filter(department=unit).first()),
            old_value="1",
            new_value="2",
            reason="r",
        )


def test_query_budget_does_not_grow_with_departments(
    client, tree, data, reviewer, fiscal_year, django_assert_num_queries
):
    access_for(reviewer)  # the access check's two queries, cached on the user
    # counted in the database: forms per department, state, grade and kind with their totals'
    # count, sum, squares, min, max; the 部门整体 forms; the scatter's numbers and the forms of
    # its dots; projects without a form (per department, the first 100) and 部门整体 sheets
    # without one; the weakest 10; the flags and the first 100 flagged; the departments
    # reviewed (also those with nothing yet); the pending 目标调整 requests
    with django_assert_num_queries(12):
        dashboard.dashboard_for(reviewer, fiscal_year)

    client.force_login(reviewer)
    url = reverse("dashboard")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"year": 2025}).status_code == 200
    _more_departments(tree, fiscal_year, 30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"year": 2025})
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    board = response.context["board"]
    assert board.started == 5 + 30 * 4
    assert (len(board.idle), board.pending_adjustments) == (30, 30)
    print(f"\n绩效看板：{len(small)} 次查询（3 个单位）= {len(large)} 次查询（33 个单位）")


def test_chart_geometry():
    chart = charts.bars([("a", 0, "", "x"), ("b", 10, "", "y"), ("c", 5, "", "z")])
    assert [b.width for b in chart.bars] == [0, chart.width - chart.label_width - 48, 138.0]
    assert charts.bars([]).bars == []
    scatter = charts.scatter([], low=D("0.6"), high=D("0.9"))
    assert [t.label for t in scatter.x_ticks][-1] == "120%"
    zone = scatter.zones[0]
    assert (zone.x, zone.y) == (scatter.left, scatter.top)
    assert zone.width == round(0.5 * scatter.plot_width, 1)
    # beyond the detail limit, only the mismatches are links; the others one path of dots
    points = [
        SimpleNamespace(execution_rate=D(x), achievement=D(y), mismatch=m, label=f"{x}", href=h)
        for x, y, m, h in [
            ("0.5", "1", True, "/a"),
            ("0.8", "0.8", False, "/b"),
            ("1.5", "0.7", False, "/c"),
            ("1", "0.2", True, "/d"),
        ]
    ]
    every = charts.scatter(points, low=D("0.6"), high=D("0.9"))
    assert [d.href for d in every.dots] == ["/b", "/c", "/a", "/d"]  # mismatches on top
    assert [d.beyond for d in every.dots] == [False, True, False, False]
    assert every.summarised == 0 and every.cloud == ""
    some = charts.scatter(points, low=D("0.6"), high=D("0.9"), detail_limit=3)
    assert [d.href for d in some.dots] == ["/a", "/d"] and some.summarised == 2
    assert some.cloud.count("h0") == 2 and some.cloud_mismatch == ""
    # cloud points at whole units, once a unit
    assert some.cloud.startswith(f"M{round(every.dots[0].x)} {round(every.dots[0].y)}h0")
    crowd = charts.scatter(points * 3, low=D("0.6"), high=D("0.9"), detail_limit=3)
    assert crowd.summarised == 6 and crowd.cloud == some.cloud
    spread = charts.score_range(D("59.5"), D("95"), D("77.25"), D("17.75"))
    assert spread.low <= spread.band_low < spread.mean < spread.band_high <= spread.high
    assert charts.score_range(D("120"), D("120"), D("120"), D("0")).high == spread.width - 4


# ---------------------------------------------------------------------------------------------
# A department's self-evaluation page: its projects beside its own; the common indicators
# ---------------------------------------------------------------------------------------------


def test_department_page_lists_its_projects_scores(client, tree, data, fiscal_year):
    clerk = member(tree["bureau"])
    client.force_login(clerk)
    response = client.get(reverse("evaluation", args=[data["bureau"].pk]))
    projects = response.context["department_projects"]
    # the bureau's 所属单位 too, by unit and code; P6 belongs to another department
    assert [p.code for p in projects.projects] == ["P1", "P2", "P3", "P4", "P5"]
    assert projects.mean == D("78.17")  # (95 + 59.5 + 80) / 3
    body = response.content.decode()
    assert 'id="department-projects"' in body
    assert "部门整体自评得分 <b>88.00</b>（良）" in body
    assert "项目平均得分 <b>78.17</b>（3 个项目已评分，共 5 个项目）" in body
    assert reverse("evaluation", args=[data["p2"].pk]) in body
    # a project's own page has no such list
    page = client.get(reverse("evaluation", args=[data["p1"].pk]))
    assert page.context["department_projects"] is None
    assert 'id="department-projects"' not in page.content.decode()


def test_department_page_query_count_does_not_grow(client, tree, data, fiscal_year):
    clerk = member(tree["bureau"])
    client.force_login(clerk)
    url = reverse("evaluation", args=[data["bureau"].pk])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _more_departments(tree, fiscal_year, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["department_projects"].projects) == 5 + 40
    assert len(large) == len(small)


def test_department_form_shows_common_indicators(client, tree, data, fiscal_year):
    clerk = member(tree["bureau"])
    client.force_login(clerk)
    url = reverse("evaluation", args=[data["bureau"].pk])
    body = client.get(url).content.decode()
    # no budget row: every indicator 无数据, never 0
    assert body.count('<td class="num no-data">无数据</td>') == 10
    DepartmentBudgetFactory(
        year=fiscal_year, department=tree["bureau"], staff_quota=42, staff_actual=37
    )
    response = client.get(url)
    common = {c.key: c for c in response.context["common"]}
    assert common["staff_control"].display == "88.10%"
    body = response.content.decode()
    assert 'title="实有在职人数 ÷ 编制数\n实有在职人数 37人；编制数 42人"' in body
    assert '<td class="basis">实有在职人数 37人；编制数 42人</td>' in body
    assert body.count('<td class="num no-data">无数据</td>') == 9
    # a project's form has none
    page = client.get(reverse("evaluation", args=[data["p1"].pk]))
    assert page.context["common"] is None and 'id="common-indicators"' not in page.content.decode()


def test_every_department_listed_drafts_apart_and_adjustments_counted(
    client, tree, data, reviewer, fiscal_year
):
    """A department with nothing started is a row (未开始), not invisible; a draft's grade is not
    in the 评价等级 chart; pending 目标调整 requests are counted and open 审核工作台."""
    idle = DepartmentFactory(code="100009", name="市数据资源中心", parent=tree["bureau"])
    sheet = data["p1"].project.target_sheet
    indicator = IndicatorFactory(sheet=sheet)
    TargetAdjustment.objects.create(indicator=indicator, old_value="1", new_value="2", reason="r")
    TargetAdjustment.objects.create(
        indicator=IndicatorFactory(sheet=sheet),
        old_value="1",
        new_value="2",
        reason="r",
        state=TargetAdjustment.State.REJECTED,
    )
    other_sheet = data["other"].project.target_sheet  # another reviewer's: not counted
    TargetAdjustment.objects.create(
        indicator=IndicatorFactory(sheet=other_sheet), old_value="1", new_value="2", reason="r"
    )
    board = dashboard.dashboard_for(reviewer, fiscal_year)
    assert board.pending_adjustments == 1
    assert [u.code for u in board.idle] == ["100009"]
    row = next(r for r in board.departments if r.department.pk == idle.pk)
    assert (row.evaluations, row.not_started, row.own) == (0, 0, None)

    client.force_login(reviewer)
    body = client.get(reverse("dashboard"), {"year": 2025}).content.decode()
    assert 'id="tile-adjustments">1<' in body
    assert 'href="/review/?year=2025&amp;kind=adjustment&amp;state=submitted"' in body
    idle_row = re.search(r"<tr><td><a [^>]*>市数据资源中心</a></td>.*?</tr>", body).group(0)
    assert "未开始" in idle_row and "尚无项目和绩效目标" in idle_row
    assert "草稿 1 份、已退回 1 份，共 2 份" in body
    grades = dict(re.findall(r"<tr><td>([优良中差])</td>.*?<b>(\d+)</b>", body))
    assert grades == {"优": "1", "良": "1", "中": "0", "差": "1"}


def test_department_figures_aggregated_in_the_database_match_the_lists(
    client, tree, reviewer, fiscal_year
):
    """Mean, minimum, maximum and population standard deviation from the database's count,
    sum and sum of squares equal those computed over each department's list of totals (exact
    decimals, to the cent); the 各单位得分 rows come DEPARTMENT_PAGE a page, the figures of
    every department whatever the page; more than 100 missing forms are counted, the first
    100 listed."""
    import random
    import statistics

    rng = random.Random(7)
    expected = {}
    for k in range(55):
        unit = DepartmentFactory(code=f"100{k:03d}A", parent=tree["bureau"])
        totals = [D(rng.randrange(3000, 10000)) / 100 for _ in range(rng.randrange(1, 5))]
        for j, total in enumerate(totals):
            project_evaluation(
                unit, fiscal_year, f"项目{k}-{j}", S.SUBMITTED, "0.9", "9", str(total),
                grade="良", code=f"A{k:03d}{j}",
            )  # fmt: skip
        for j in range(2):
            ProjectFactory(department=unit, year=fiscal_year, code=f"N{k:03d}{j}")
        mean = sum(totals) / len(totals)
        spread = (sum((t - mean) ** 2 for t in totals) / len(totals)).sqrt()
        expected[unit.code] = (
            mean.quantize(D("0.01"), rounding="ROUND_HALF_UP"),
            min(totals),
            max(totals),
            spread.quantize(D("0.01"), rounding="ROUND_HALF_UP"),
            len(totals),
        )
        assert abs(float(spread) - statistics.pstdev([float(t) for t in totals])) < 1e-9
    board = dashboard.dashboard_for(reviewer, fiscal_year)
    rows = {r.department.code: r for r in board.departments}
    for code, figures in expected.items():
        row = rows[code]
        assert (row.mean, row.minimum, row.maximum, row.spread, row.scored) == figures, code
        # to the cent as stored, also where the database answers aggregates as floats
        assert {v.as_tuple().exponent for v in (row.minimum, row.maximum, row.mean)} == {-2}
        assert row.not_started == 2
    assert board.not_started_count == 110 and len(board.not_started) == 100
    assert board.expected == board.started + 110

    client.force_login(reviewer)
    first = client.get(reverse("dashboard"), {"year": 2025}).content.decode()
    second = client.get(reverse("dashboard"), {"year": 2025, "units": 2}).content.decode()
    pages = -(-len(board.departments) // dashboard.DEPARTMENT_PAGE)
    assert 'id="department-pager"' in first and f"第 1 / {pages} 页" in first
    table = re.compile(r'<section class="card" id="departments">.*?</section>', re.S)
    size = dashboard.DEPARTMENT_PAGE
    assert table.search(first).group(0).count("<tr><td><a ") == size
    assert table.search(second).group(0).count("<tr><td><a ") == min(
        size, len(board.departments) - size
    )
    assert 'id="tile-not-started">110<' in first and "仅显示前 100 项" in first
