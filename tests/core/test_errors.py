"""One base for user errors, handled once (core.errors.UserErrorMiddleware)."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from core.errors import UserError, UserErrorMiddleware, back_to
from core.numbers import NumberRefused
from evaluations.services import FormConflict, FormProblems, InputRefused
from evaluations.workflow import WorkflowError
from imports.files import FileRefused
from imports.services import ImportRefused


@pytest.mark.parametrize(
    "error",
    [
        WorkflowError,
        ImportRefused,
        FileRefused,
        FormProblems,
        FormConflict,
        NumberRefused,
        InputRefused,
    ],
)
def test_every_user_error_derives_from_the_one_base(error):
    assert issubclass(error, UserError)


def _request(method="post", path="/targets/1/", **headers):
    request = getattr(RequestFactory(), method)(path, **headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _handle(request, exception):
    return UserErrorMiddleware(lambda r: None).process_exception(request, exception)


def test_a_posted_form_gets_the_message_and_goes_back_to_its_page():
    request = _request()
    response = _handle(request, WorkflowError("不能执行“审核通过”。"))
    assert response.status_code == 302 and response["Location"] == "/targets/1/"
    assert [str(m) for m in get_messages(request)] == ["不能执行“审核通过”。"]


def test_back_to_names_the_page_of_a_post_only_view():
    request = _request(path="/evaluations/start/")

    @back_to(lambda request: "/home/")
    def view(request):
        raise ImportRefused("文件为空。")

    with pytest.raises(ImportRefused) as raised:
        view(request)
    assert _handle(request, raised.value)["Location"] == "/home/"


def test_a_foreign_referer_is_not_followed():
    request = _request(HTTP_REFERER="https://evil.example/x")
    assert _handle(request, WorkflowError("x"))["Location"] == "/targets/1/"


def test_a_get_or_a_script_gets_a_400_page_saying_it():
    response = _handle(_request("get"), FileRefused("文件过大。"))
    assert response.status_code == 400 and "文件过大。" in response.content.decode()
    script = _request(HTTP_ACCEPT="application/json")
    assert _handle(script, WorkflowError("未找到。")).status_code == 400


def test_a_bug_is_not_a_user_error():
    assert _handle(_request(), KeyError("x")) is None  # Django logs it and answers 500
