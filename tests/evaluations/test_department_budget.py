"""Issue 14, item 4: 部门整体预算数据 on a page (finance, administrators) through the import's
rules, and 无此项收入 told apart from a missing figure."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import DepartmentBudget, Membership
from core.models import AuditLog
from evaluations.common_indicators import common_indicators
from evaluations.models import SelfEvaluation
from tests.factories import member
from tests.imports.conftest import run, xlsx

pytestmark = pytest.mark.django_db
D = Decimal
REVIEWER = Membership.Role.REVIEWER


def _page(tree, fiscal_year):
    return f"{reverse('department_budget', args=[tree['bureau'].pk])}?year={fiscal_year.year}"


def _post(client, tree, fiscal_year, **values):
    url = _page(tree, fiscal_year)
    seen = client.get(url).context["seen"]
    data = {"year": fiscal_year.year, "seen": seen, **values}
    return client.post(url, data)


def test_only_department_budget_completion_with_absent_sources(fiscal_year, tree):
    budget = DepartmentBudget(
        year=fiscal_year,
        department=tree["bureau"],
        income_public_full=D("100"),
        income_public_executed=D("90"),
    )
    completion = {c.key: c for c in common_indicators(budget)}["budget_completion"]
    assert completion.value is None  # the other three natures: missing, not 0
    for nature in ("fund", "special", "other"):
        setattr(budget, f"income_{nature}_absent", True)
    completion = {c.key: c for c in common_indicators(budget)}["budget_completion"]
    assert completion.value == D("0.9000")
    assert budget.income_total("full") == D("100")


def test_finance_enters_the_figures_on_the_page(client, tree, fiscal_year):
    reviewer = member(tree["bureau"], REVIEWER)
    client.force_login(reviewer)
    response = _post(
        client,
        tree,
        fiscal_year,
        income_public_full="100",
        income_public_executed="90",
        income_fund_absent="on",
        income_special_absent="on",
        income_other_absent="on",
        staff_quota="12",
    )
    assert response.status_code == 302
    budget = DepartmentBudget.objects.get(department=tree["bureau"], year=fiscal_year)
    assert budget.income_total("executed") == D("90") and budget.staff_quota == 12
    record = AuditLog.objects.get(action="部门整体预算数据·创建")
    assert record.changes["income_public_full"] == [None, "100.0000"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"income_public_full": "九十"}, "一般公共预算·全年预算数必须是数字"),
        ({"income_public_full": "1e5"}, "一般公共预算·全年预算数必须是数字"),
        ({"income_public_full": "1" * 13}, "是否把元当成了万元"),
        ({"staff_quota": "3.5"}, "编制数必须是非负整数"),
        (
            {"income_fund_absent": "on", "income_fund_full": "5"},
            "政府性基金已标为“无此项收入”，不能同时填写政府性基金的金额",
        ),
    ],
)
def test_refused_values_save_nothing_and_stay_on_screen(client, tree, fiscal_year, values, message):
    client.force_login(member(tree["bureau"], REVIEWER))
    response = _post(client, tree, fiscal_year, income_other_full="7", **values)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'value="7"' in response.content.decode()
    assert not DepartmentBudget.objects.exists()


def test_who_may_see_and_edit(client, tree, fiscal_year):
    url = _page(tree, fiscal_year)
    client.force_login(member(tree["other"], REVIEWER))
    assert client.get(url).status_code == 404
    client.force_login(member(tree["bureau"]))  # the unit's clerk reads, does not write
    assert client.get(url).status_code == 200
    response = _post(client, tree, fiscal_year, income_public_full="1")
    assert "只有该单位的财政审核人或系统管理员" in response.content.decode()
    assert not DepartmentBudget.objects.exists()


def test_a_stale_page_or_a_submitted_evaluation_is_refused(client, tree, fiscal_year):
    client.force_login(member(tree["bureau"], REVIEWER))
    url = _page(tree, fiscal_year)
    seen = client.get(url).context["seen"]
    DepartmentBudget.objects.create(department=tree["bureau"], year=fiscal_year)
    response = client.post(url, {"year": fiscal_year.year, "seen": seen, "staff_quota": "3"})
    assert "已被他人修改" in response.content.decode()
    SelfEvaluation.objects.create(
        department=tree["bureau"], year=fiscal_year, project=None, state="submitted"
    )
    response = _post(client, tree, fiscal_year, staff_quota="3")
    assert "不能修改部门整体预算数据（须先退回或重新打开）" in response.content.decode()
    assert DepartmentBudget.objects.get().staff_quota is None


def test_the_import_marks_and_clears_absent_sources(tree, fiscal_year):
    headers = ["年度", "单位编码", "一般公共预算·全年预算数", "政府性基金·年初预算数"]
    headers += ["政府性基金·无此项收入"]
    job = run("department-budgets", xlsx(headers, [[2025, "100", 100, 0, "是"]]))
    assert not job.errors, job.errors
    budget = DepartmentBudget.objects.get()
    assert budget.income_fund_absent and budget.income_fund_initial is None
    job = run("department-budgets", xlsx(headers, [[2025, "100", 100, 5, "是"]]))
    assert "政府性基金已标为“无此项收入”" in " ".join(text for *_, text in job.errors)
    # a figure without the mark's column: the income exists after all
    job = run("department-budgets", xlsx(headers[:4], [[2025, "100", 100, 5]]))
    budget.refresh_from_db()
    assert not budget.income_fund_absent and budget.income_fund_initial == D("5")
