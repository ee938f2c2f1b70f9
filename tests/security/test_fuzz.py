"""Hostile input everywhere (issue 12): every form field and every URL parameter of the site, as
every role, with a table of values a user could type or an attacker could send.

The forms are not listed by hand: each role opens every page it may open (the routes come from
the resolver, through the access walk's classification), and every <form> found there is posted
back with one field at a time replaced by a hostile value (the others keep the page's own
values, as a browser would send them); GET forms and the links' query parameters are tried the
same way, and every path parameter with ids no row can have. Then:

- no answer is a server error (≥ 500);
- a refused request (4xx, a form sent back with "未保存", an error message) changed no row (the
  writes it ran are checked against a digest of every table);
- afterwards every page every role could open still answers 200 (nothing accepted poisoned it).

The Django admin is left to its own tests (test_web.py, test_admin_audit.py): its forms are
Django's own ModelForms over the same models.

Number values that reach a DecimalField (a score of 1e400 or 40 digits) are refused by the one
number rule (budgets/numbers.py) like every other hostile value: no exception list.
"""

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.report import covered
from tests.security import dbstate, walk

pytestmark = pytest.mark.django_db


HOSTILE: dict[str, str] = {
    "上标数字²": "²",
    "40位数字": "9" * 40,
    "1e400": "1e400",
    "NaN": "NaN",
    "负数": "-1",
    "百万字符": "x" * 1_000_000,
    "控制字符": "a\x00b\x1b[31m",
    "百分号": "%",
    "公式": "=1+1",
    "全角数字": "１２３",
}
# The administrator (who may open and act on everything) sends every value; the other roles,
# whose requests take the same parsing after a different access check, the values that reach
# parsing differently (keeps the run under a minute).
CORE = ("上标数字²", "40位数字", "控制字符")

# Path parameters only match digits (<int:pk>): ids that no row can have.
HOSTILE_IDS = {"0": "0", "超出64位": str(2**63), "40位数字": "9" * 40}

ROLES = {
    "管理员": "admin",
    "填报人": "xn_clerk",
    "单位负责人": "xn_head",
    "财政审核人": "reviewer",
    "匿名": None,
}

# Requests that may still answer 500 until the numbers rule is merged: (route name, field
# pattern, value label). Found by this test; each is a decimal value reaching a DecimalField or
# the scoring module's quantize. The test prints the ones it still meets.

# The fields the live preview reads (the form's others are the page's, not the preview's).
PREVIEWED = re.compile(r"^(actual|level|score|reason|executed)-")

SKIPPED_ACTIONS = ("/logout/", "/admin/")
# Forms without a field to fuzz whose plain submission is an accepted change (deleting evidence or
# a 整改通知's file, confirming an import): posting them would only remove what later pages show.
SKIPPED_ROUTES = {"evidence_delete", "import_confirm", "rectification_file_delete"}


# --------------------------------------------------------------------------------------------
# Forms and links as a browser sees them
# --------------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, value) as sent
    buttons: list[tuple[str, str]] = field(default_factory=list)
    has_file: bool = False

    def body(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        # the button a user would press: "save" where there is one (it keeps the form in its
        # state), else the first
        chosen = next((b for b in self.buttons if b[1] == "save"), None) or (
            self.buttons[0] if self.buttons else None
        )
        if chosen and chosen[0]:
            data.setdefault(chosen[0], []).append(chosen[1])
        return data


class PageParser(HTMLParser):
    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self._in_template = 0  # a <template>'s fields (the grid's empty row) are never sent

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._in_template += 1
        if self._in_template:
            return
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = Form(a.get("action") or self.url, method)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.has_file = True
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image"):
                form.buttons.append((name, a.get("value", "")))
            else:
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            form.buttons.append((name or "", a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None and not self._in_template:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1
        if self._in_template:
            return
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, self._text))
            self._textarea = None


def _pattern(name: str) -> str:
    """Fields of one kind on many lines (score-12, rows-3-weight) are tried once: the first."""
    return re.sub(r"\d+", "N", name)


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    fields: set = field(default_factory=set)
    params: set = field(default_factory=set)
    refused: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


class Fuzzer:
    def __init__(self, tally: Tally):
        self.tally = tally
        self.baseline = dbstate.digest()

    def send(self, client: Client, method: str, url: str, data, where: tuple[str, str, str]):
        # the log keeps the last 9,000 queries: past that, a capture by offsets would see none
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, data) if method == "get" else client.post(url, data)
        self.tally.requests += 1
        status = response.status_code
        self.tally.statuses[status // 100 * 100] += 1
        label = f"{method.upper()} {url} {where[1]}={where[2]}"
        if status >= 500:
            self.tally.errors.append(f"{label}: {status}")
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if WRITE.match(q["sql"]) and "django_session" not in q["sql"]
        ]
        refused = 400 <= status < 500 or _refusal_message(response)
        self.tally.refused += refused
        if writes:
            after = dbstate.digest()
            if refused and after != self.baseline:
                self.tally.changed.append(f"{label}: {dbstate.changed(self.baseline, after)}")
            self.baseline = after
        return response


def _refusal_message(response) -> bool:
    """Did the page say no ("未保存", or an error message before a redirect)? An error that
    says a draft was saved ("已保存草稿，但尚不能提交") is not a refusal."""
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    said = [str(m) for m in queued if m.level >= messages.ERROR]
    if response.status_code == 200 and not response.streaming:
        body = response.content.decode(errors="replace")
        said += ["未保存"] if "未保存" in body else []
    return any("已保存" not in text for text in said)


def _clients() -> dict[str, Client]:
    users = get_user_model().objects
    clients = {}
    for label, username in ROLES.items():
        client = Client(raise_request_exception=False)
        if username:
            client.force_login(users.get(username=username))
        clients[label] = client
    return clients


def _more_states(v: walk.Victim) -> list[tuple[str, str]]:
    """The walk's forms are approved sheets and draft self-evaluations: add a target sheet in
    draft (its grid) and a submitted self-evaluation (its review fields), as the walk does, by
    setting the state."""
    from django.utils import timezone

    from evaluations.models import FormState, SelfEvaluation, TargetSheet

    sheet = TargetSheet.objects.get(project__code="2021-101-005")
    assert not SelfEvaluation.objects.filter(project=sheet.project).exists()
    TargetSheet.objects.filter(pk=sheet.pk).update(state=FormState.DRAFT, approved_at=None)
    # one line is enough to try every field of a line (each grid save re-renders all of them)
    first = sheet.indicators.order_by("order", "id").first()
    sheet.indicators.exclude(pk=first.pk).delete()
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-002")
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        state=FormState.SUBMITTED, submitted_at=timezone.now()
    )
    return [
        ("target_sheet", reverse("target_sheet", args=[sheet.pk])),
        ("evaluation", reverse("evaluation", args=[evaluation.pk])),
    ]


def _pages(v: walk.Victim) -> list[tuple[str, str]]:
    """(route name, url) of every page that answers GET, the victim's objects included."""
    pages = _more_states(v)
    for found in walk.project_patterns():
        if found.name in walk.TOKEN_URLS:  # a bad token only shows 链接已失效 (test_users.py)
            continue
        if found.params:
            spec = walk.OBJECT_URLS[found.name]
            if not spec.get_allowed:
                continue
            for target in spec.targets(v):
                pages.append((found.name, reverse(found.name, kwargs=target.kwargs)))
        elif found.name not in ("logout", "target_sheet_start", "evaluation_start"):
            pages.append((found.name, reverse(found.name)))
    return pages


def _route_of(url: str) -> str:
    from django.urls import Resolver404, resolve

    try:
        return resolve(urlsplit(url).path).url_name or "?"
    except Resolver404:
        return "?"


def _page_statuses(clients, pages, html: dict | None = None) -> dict[tuple[str, str], int]:
    """{(role, url): status} of every page for every role; the HTML pages into `html`."""
    statuses = {}
    for label, client in clients.items():
        for _, url in pages:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            elif html is not None and "text/html" in response.get("Content-Type", ""):
                html[(label, url)] = response.content.decode()
            statuses[(label, url)] = response.status_code
    return statuses


def test_hostile_values_in_every_field_and_parameter(victim, settings):
    settings.DEBUG = False
    cache.clear()  # login throttle counters
    started = time.monotonic()
    clients = _clients()
    pages = _pages(victim)
    html: dict[tuple[str, str], str] = {}
    before = _page_statuses(clients, pages, html)
    tally = Tally()
    fuzzer = Fuzzer(tally)

    for label, client in clients.items():
        values = HOSTILE if label == "管理员" else {k: HOSTILE[k] for k in CORE}
        forms: dict[tuple, Form] = {}
        query_params: dict[str, set[str]] = {}
        for _, url in pages:
            if before[(label, url)] != 200 or (label, url) not in html:
                continue
            parser = PageParser(url)
            parser.feed(html[(label, url)])
            for form in parser.forms:
                action = urlsplit(form.action).path or url
                if action.startswith(SKIPPED_ACTIONS):
                    continue
                if form.method == "get":
                    query_params.setdefault(action, set()).update(n for n, _ in form.fields)
                    continue
                if _route_of(action) in SKIPPED_ROUTES:
                    continue
                key = (_route_of(action), frozenset(_pattern(n) for n, _ in form.fields))
                forms.setdefault(key, Form(action, "post", form.fields, form.buttons))
            for link in parser.links:
                parts = urlsplit(link)
                if parts.netloc or not parts.query:
                    continue
                names = {n for n, _ in parse_qsl(parts.query, keep_blank_values=True)}
                query_params.setdefault(parts.path or url, set()).update(names)
        for path in ("/", "/review/", "/dashboard/", "/exports/"):
            query_params.setdefault(path, set()).update({"year", "page"})

        # GET parameters
        for path, names in query_params.items():
            route = _route_of(path)
            for name in sorted(names):
                tally.params.add((route, name))
                for value_label, value in values.items():
                    fuzzer.send(client, "get", path, {name: value}, (route, name, value_label))

        # POST fields, one at a time; the evaluation form's fields also through its live preview
        for (route, _), form in forms.items():
            body = form.body()
            seen_patterns = set()
            for name in sorted(body):
                if name == "csrfmiddlewaretoken" or _pattern(name) in seen_patterns:
                    continue
                seen_patterns.add(_pattern(name))
                tally.fields.add((route, _pattern(name)))
                targets = [form.action]
                if route == "evaluation" and PREVIEWED.match(name):
                    targets.append(form.action.rstrip("/") + "/preview/")
                for value_label, value in values.items():
                    data = {**body, name: [value]}
                    for target in targets:
                        where = (_route_of(target), _pattern(name), value_label)
                        fuzzer.send(client, "post", target, data, where)
            # a field the page did not have (a line id no form shows)
            for extra in ("line-999999999", "score-999999999", "rows-999999-id"):
                data = {**body, extra: ["1"]}
                fuzzer.send(client, "post", form.action, data, (route, _pattern(extra), "多余"))

        # path parameters: ids no row can have
        for name, url in pages:
            if "/" not in url.strip("/") or not re.search(r"/\d+/", url):
                continue
            for value_label, value in HOSTILE_IDS.items():
                bad = re.sub(r"/\d+/", f"/{value}/", url, count=1)
                tally.params.add((name, "pk"))
                fuzzer.send(client, "get", bad, None, (name, "pk", value_label))

    after = _page_statuses(clients, pages)
    broken = [
        f"{label} GET {url}: {before[(label, url)]} → {status}"
        for (label, url), status in after.items()
        if before[(label, url)] == 200 and status != 200
    ]
    seconds = time.monotonic() - started
    covered(
        f"模糊测试：{len(ROLES)} 种角色 × {len(tally.fields)} 类表单字段与 "
        f"{len(tally.params)} 个地址参数 × 恶意值（管理员 {len(HOSTILE)} 种，其他角色 "
        f"{len(CORE)} 种）= {tally.requests} 次请求"
        f"（{seconds:.0f} 秒）；500 及以上 {len(tally.errors)} 次"
        + f"；被拒绝的 {tally.refused} 次请求改动数据 {len(tally.changed)} 次；"
        f"之后 {sum(1 for s in before.values() if s == 200)} 个页面仍为 200 的"
        f"{'全部' if not broken else f'少 {len(broken)} 个'}"
    )
    problems = (
        [f"server errors ({len(tally.errors)}):"] + sorted(set(tally.errors))[:200]
        if tally.errors
        else []
    )
    problems += ["refused requests changed data:", *tally.changed] if tally.changed else []
    problems += ["pages broken after the fuzz:", *broken] if broken else []
    assert not problems, "\n".join(problems)
