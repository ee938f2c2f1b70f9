"""Ids and whole numbers read from a request (budgets/http.py): a parameter that is not ASCII
digits answers 400 and an id beyond any row answers 404, both in Chinese, never 500 (issue 12).
The year a list page shows is a choice with a default: a year that is not a number is a year that
does not exist, and the page shows the current one.

`"²".isdigit()` is true and `int("²")` fails; a 40-digit id overflows the database's integers.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from core.http import ID_MAX, as_id, keyed_ids, optional_id, optional_int
from evaluations.models import FormState, SelfEvaluation, TargetAdjustment, TargetSheet
from tests.report import covered

SUP = "²"
BIG = "9" * 40


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("", None), ("  ", None), ("12", 12), (" 7 ", 7), (str(ID_MAX), ID_MAX)],
)
def test_optional_id_reads_ascii_digits(value, expected):
    assert optional_id(value) == expected
    assert as_id(value) == expected


@pytest.mark.parametrize("value", [SUP, "１２", "٣", "1e3", "-1", "1.0", "0x10", "1_000", "+1"])
def test_anything_but_ascii_digits_is_a_bad_request(value):
    from django.core.exceptions import BadRequest

    with pytest.raises(BadRequest):
        optional_id(value)
    with pytest.raises(BadRequest):
        optional_int(value)
    assert as_id(value) is None


@pytest.mark.parametrize("value", ["0", str(ID_MAX + 1), BIG, "9" * 1000])
def test_an_id_no_row_can_have_is_not_found(value):
    from django.core.exceptions import BadRequest
    from django.http import Http404

    with pytest.raises((Http404, BadRequest)):
        optional_id(value)
    assert as_id(value) is None


def test_keyed_ids():
    from django.core.exceptions import BadRequest

    assert keyed_ids({"line-3": "a", "line-": "b", "other": "c"}, "line-") == {3: "a"}
    with pytest.raises(BadRequest):
        keyed_ids({f"line-{SUP}": "x"}, "line-")


# --------------------------------------------------------------------------------------------
# Through the pages (the requests of issue 12 that answered 500)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    from evaluations import services

    # 咸宁's project (demo): xn_clerk's, reviewed by `reviewer`
    draft = SelfEvaluation.objects.get(project__code="2021-101-001")
    approved = TargetSheet.objects.get(project__code="2021-101-001")
    assert draft.state == FormState.DRAFT and approved.state == FormState.APPROVED
    indicator = approved.indicators.order_by("id").first()
    clerk = get_user_model().objects.get(username="xn_clerk")
    adjustment = services.adjustment_request(
        indicator=indicator, user=clerk, new_value="1", reason="测试"
    )
    return {"evaluation": draft, "sheet": approved, "adjustment": adjustment}


def _cases(demo) -> list[tuple[str, str, dict | None]]:
    ev, sheet = demo["evaluation"].pk, demo["sheet"].pk
    export = {"year": "2021", "kind": "project-self-evaluation", "format": "xlsx"}
    cases: list[tuple[str, str, dict | None]] = [
        ("GET", f"/?year={SUP}", None),
        ("GET", f"/review/?year={SUP}", None),
        ("GET", f"/review/?department={SUP}", None),
        ("GET", f"/review/?department={BIG}", None),
        ("GET", f"/dashboard/?year={SUP}", None),
        ("GET", f"/exports/?year={SUP}", None),
        ("GET", f"/evaluations/{BIG}/", None),
        ("GET", f"/targets/{BIG}/", None),
    ]
    for bad in (SUP, BIG):
        cases += [
            ("POST", "/targets/start/", {"project": bad}),
            ("POST", "/targets/start/", {"department": bad, "year": "1"}),
            ("POST", "/evaluations/start/", {"project": bad}),
            ("POST", "/evaluations/start/", {"department": "1", "year": bad}),
            ("POST", f"/evaluations/{ev}/evidence/", {"result": bad}),
            ("POST", f"/targets/{sheet}/", {"action": "adjust_request", "indicator": bad}),
            ("POST", f"/targets/{sheet}/", {"action": "adjust_approve", "adjustment": bad}),
            ("POST", "/exports/", {**export, "department": bad}),
            ("POST", "/exports/", {**export, "project": bad}),
        ]
    cases += [
        ("POST", f"/evaluations/{ev}/", {"action": "save", "version": SUP}),
        ("POST", f"/evaluations/{ev}/", {"action": "approve", "version": SUP}),
        ("POST", f"/evaluations/{ev}/", {"action": "approve", "version": BIG}),
        ("POST", f"/targets/{sheet}/", {"action": "approve", "version": SUP}),
        ("POST", f"/targets/{sheet}/", {"action": "save", "version": SUP}),
        ("POST", f"/targets/{sheet}/", {"action": "return", f"line-{SUP}": "x"}),
        ("POST", f"/targets/{sheet}/", {"action": "return", f"line-{BIG}": "x"}),
        ("POST", "/exports/", {**export, "year": SUP}),
        ("POST", "/imports/", {"year": SUP, "kind": "indicators"}),
    ]
    return cases


CHINESE = ("请求有误", "未找到", "无权")


@pytest.mark.parametrize("username", ["xn_clerk", "reviewer", "admin"])
def test_bad_ids_and_numbers_answer_400_or_404_in_chinese(demo, settings, username):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=username))
    adjustments = list(TargetAdjustment.objects.values_list("pk", "state"))
    problems = []
    cases = _cases(demo)
    for method, url, data in cases:
        response = client.get(url) if method == "GET" else client.post(url, data)
        body = response.content.decode(errors="replace")
        status = response.status_code
        # A clerk's POST to a reviewer's page may be refused politely (302 with a message);
        # what never happens is a 500, or an error page that is not Chinese.
        if status >= 500 or (status in (400, 404) and not any(w in body for w in CHINESE)):
            problems.append(f"{method} {url} {data}: {status}")
    assert not problems, "\n".join(problems)
    assert list(TargetAdjustment.objects.values_list("pk", "state")) == adjustments
    if username == "reviewer":
        covered(
            f"请求参数：{len(cases)} 种非法编号与数字 × 3 种角色，无 500；错误页 400/404 均为中文"
        )


def test_bad_parameter_page_names_the_parameter(demo, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="reviewer"))
    response = client.get(f"/review/?department={SUP}")
    assert response.status_code == 400
    body = response.content.decode()
    assert "参数“单位”不是有效的数字" in body and "回到首页" in body
    response = client.get(f"/review/?department={BIG}")
    assert response.status_code == 404 and "未找到该页面" in response.content.decode()
    # the year shown is a choice with a default
    assert client.get(f"/review/?year={SUP}").status_code == 200
    response = client.post("/exports/", {"year": SUP, "kind": "department", "format": "xlsx"})
    assert response.status_code == 400 and "参数“年度”不是有效的数字" in response.content.decode()
    # a year that does not exist is refused, not exported as the current year
    from reporting.models import ExportJob

    jobs = ExportJob.objects.count()
    response = client.post(
        "/exports/", {"year": "2099", "kind": "department", "format": "xlsx"}, follow=True
    )
    assert "未找到2099年度" in response.content.decode()
    assert ExportJob.objects.count() == jobs
