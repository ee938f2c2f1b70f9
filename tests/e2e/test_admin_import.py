"""系统管理 → 单位 → 导入 in the browser: django-import-export's button, the engine's preview and
confirm, the departments written."""

from playwright.sync_api import Page, expect

from budgets.models import Department
from tests.imports.conftest import xlsx


def test_administrator_imports_departments_from_the_admin(page: Page, login, screenshot, tmp_path):
    login(page, "admin")
    page.goto("/admin/budgets/department/")
    page.locator("a.import_link").click()
    expect(page.get_by_role("link", name="下载单位导入模板")).to_be_visible()
    path = tmp_path / "单位.xlsx"
    path.write_bytes(
        xlsx(["单位编码", "单位名称", "上级单位编码"], [["901", "后台导入的单位", ""]])
    )
    page.locator("input[name=import_file]").set_input_files(path)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#engine-import")).to_contain_text("检查通过")
    expect(page.locator("table.import-preview")).to_contain_text("901 后台导入的单位")
    screenshot(page, "admin-import-01-preview")
    assert not Department.objects.filter(code="901").exists()
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#engine-import")).to_contain_text("已导入：新增 1 行")
    screenshot(page, "admin-import-02-done")
    assert Department.objects.get(code="901").name == "后台导入的单位"
