"""The users of `make load` (bench/load.py starts locust with this file; not run by hand).

The plan (LOAD_PLAN, a JSON file written by bench/load.py) gives each simulated user a logged-in
session of its own (no password hashing under load: the login is not what is measured), and each
clerk the draft self-evaluations it may save and submit. Two kinds of run:

- one page at a time (`FloorOnly`, `HomeOnly`, `FormOnly`, `QueueOnly`, `DashboardOnly`): every
  user requests that page back to back, so the server's throughput on it is measured beside the
  authenticated-redirect floor (`GET /login/` of a logged-in user: session read and write, a 302);
- the deadline day (`Clerk`, `Reviewer`, `Exporter`): clerks open their home and their form, save
  and submit; reviewers open 审核工作台, 绩效看板 and forms; one reviewer exports a department's
  tables as XLSX and waits for the worker; everyone also requests the floor now and then.

Bounded: locust's `--run-time`, and LOAD_MAX_REQUESTS requests in all (the run stops there).
Loopback only: a host other than 127.0.0.1, ::1 or localhost stops the run before any request.
"""

import itertools
import json
import os
import re
import sys
import time
from html.parser import HTMLParser
from http.cookiejar import Cookie
from urllib.parse import urlencode, urlsplit

from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
YEAR = PLAN["year"]
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "100000"))
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REASON = "部分任务受客观因素影响延期，下一步加强督办，加快执行进度。"
_clerks = itertools.count()
_reviewers = itertools.count()
_sent = itertools.count(1)


@events.init.add_listener
def _loopback_only(environment, **_kwargs):
    # before any user starts: this load must never leave the machine
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        sys.exit(f"make load: refusing {environment.host!r}: loopback only (127.0.0.1, ::1)")


@events.request.add_listener
def _bounded(**_kwargs):
    # the request bound, beside locust's --run-time: the run stops at MAX_REQUESTS
    if next(_sent) == MAX_REQUESTS:
        from locust import runners

        if runners.runner is not None:
            runners.runner.quit()


class FormFields(HTMLParser):
    """The fields the evaluation form would post, as a browser collects them (inputs with their
    values, checked boxes, textareas, selected options) from `<form id="evaluation-form">`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "evaluation-form":
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if "disabled" not in a:
                self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea, self._text = name, []
        elif tag == "select" and name and "disabled" not in a:
            self._select, self._first_option, self._selected = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in a and not self._selected:
                self.fields.append((self._select, value))
                self._selected = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._selected and self._first_option is not None:
                self.fields.append((self._select, self._first_option))
            self._select = None


def form_fields(html: str) -> list[tuple[str, str]]:
    parser = FormFields()
    parser.feed(html)
    return parser.fields


class Site(FastHttpUser):
    abstract = True
    plan: dict = {}

    def log_in(self, entry: dict) -> None:
        host = urlsplit(self.host).hostname
        self.client.cookiejar.set_cookie(
            Cookie(0, "sessionid", entry["session"], None, False, host, False, False, "/", True,
                   False, None, True, None, None, {})
        )  # fmt: skip
        self.plan = entry

    def floor(self) -> None:
        with self.client.get(
            "/login/", name="authenticated redirect (floor)", allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
                response.failure(f"expected a redirect home, got {response.status_code}")

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return ""
            return response.text or ""


class ClerkBase(Site):
    abstract = True

    def on_start(self):
        entry = PLAN["clerks"][next(_clerks) % len(PLAN["clerks"])]
        self.log_in(entry)
        self.forms = list(entry["forms"])
        self.current = 0

    def home(self):
        self.page(f"/?year={YEAR}", "clerk home")

    def open_form(self) -> str:
        pk = self.forms[self.current % len(self.forms)]
        return self.page(f"/evaluations/{pk}/", "self-evaluation form")


class ReviewerBase(Site):
    abstract = True

    def on_start(self):
        self.log_in(PLAN["reviewers"][next(_reviewers) % len(PLAN["reviewers"])])

    def queue(self):
        self.page(f"/review/?year={YEAR}&kind=evaluation", "审核工作台")

    def dashboard(self):
        self.page(f"/dashboard/?year={YEAR}", "绩效看板")


# --- one page at a time -------------------------------------------------------------------------


class FloorOnly(ClerkBase):
    wait_time = constant(0)

    @task
    def only(self):
        self.floor()


class HomeOnly(ClerkBase):
    wait_time = constant(0)

    @task
    def only(self):
        self.home()


class FormOnly(ClerkBase):
    wait_time = constant(0)

    @task
    def only(self):
        self.open_form()
        self.current += 1


class QueueOnly(ReviewerBase):
    wait_time = constant(0)

    @task
    def only(self):
        self.queue()


class DashboardOnly(ReviewerBase):
    wait_time = constant(0)

    @task
    def only(self):
        self.dashboard()


# --- the deadline day ---------------------------------------------------------------------------


class Clerk(ClerkBase):
    weight = 3
    wait_time = between(0.5, 2)

    @task(2)
    def look_home(self):
        self.home()

    @task(6)
    def fill_in(self):
        """Open the form, save it as typed; every third save is the submission (提交审核), after
        which the clerk goes on to its next draft. Once all are handed in, it only reads."""
        html = self.open_form()
        if not html or self.current >= len(self.forms) or 'value="submit"' not in html:
            self.current += 1
            return
        submit = self.current_saves() % 3 == 2
        fields = [
            # what a clerk types before submitting: the reasons the rules ask for
            (
                k,
                v
                or (
                    REASON if submit and (k == "execution_reason" or k.startswith("reason-")) else v
                ),
            )
            for k, v in form_fields(html)
            if k != "action"
        ]
        body = urlencode([*fields, ("action", "submit" if submit else "save")])
        pk = self.forms[self.current]
        name = "submit the form (POST)" if submit else "save the form (POST)"
        with self.client.post(
            f"/evaluations/{pk}/", data=body, name=name, allow_redirects=False,
            catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"{self.host}/evaluations/{pk}/"},
        ) as response:  # fmt: skip
            if response.status_code != 302:
                text = response.text or ""
                found = re.search(r'class="(?:messages|errorlist)[^"]*"[^>]*>(.{0,200})', text)
                response.failure(f"HTTP {response.status_code}: {found and found.group(1)}")
                self.current += 1  # a form that refuses is left alone
                return
        self.saves = self.current_saves() + 1
        if submit:
            self.current += 1

    def current_saves(self) -> int:
        return getattr(self, "saves", 0)

    @task(1)
    def redirect_floor(self):
        self.floor()


class Reviewer(ReviewerBase):
    weight = 2
    wait_time = between(0.5, 2)

    @task(3)
    def look_queue(self):
        self.queue()

    @task(2)
    def look_dashboard(self):
        self.dashboard()

    @task(2)
    def look_form(self):
        forms = self.plan["forms"]
        self.page(f"/evaluations/{forms[int(time.time() * 1000) % len(forms)]}/", "review a form")

    @task(1)
    def redirect_floor(self):
        self.floor()


class Exporter(ReviewerBase):
    """A reviewer exporting one department's 项目支出绩效自评表 as XLSX: request, follow the
    job's progress as the page's script does (every second), download."""

    fixed_count = 1
    wait_time = between(1, 2)

    @task
    def export(self):
        html = self.page("/exports/", "导出 page")
        token = CSRF.search(html)
        if not token:
            return
        departments = self.plan["departments"]
        department = departments[int(time.time()) % len(departments)]
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "year": YEAR,
                "kind": "project-self-evaluation",
                "format": "xlsx",
                "department": department,
            }
        )
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{self.host}/exports/",
        }
        with self.client.post(
            "/exports/", data=body, headers=headers, name="request an export (POST)",
            catch_response=True,
        ) as response:  # fmt: skip
            try:
                status = response.json()["status"]
            except Exception:  # noqa: BLE001 — anything but the job's JSON is a failure
                response.failure(f"HTTP {response.status_code}: no job in the answer")
                return
        started = time.monotonic()
        while time.monotonic() - started < 120:
            self.wait()
            answer = self.client.get(status, name="export status (poll)").json()
            if answer.get("state") == "done":
                self.client.get(answer["download"], name="download the export")
                events.request.fire(
                    request_type="JOB", name="export built (request → done)",
                    response_time=(time.monotonic() - started) * 1000, response_length=0,
                    exception=None, context={},
                )  # fmt: skip
                return
            if answer.get("state") == "failed":
                raise StopUser(answer.get("error"))
