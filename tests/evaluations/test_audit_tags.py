from core.models import AuditLog
from evaluations.templatetags.audit_tags import describe_changes


def log(object_type, changes):
    return AuditLog(object_type=object_type, changes=changes)


def test_states_and_fields_in_chinese():
    lines = describe_changes(
        log(
            "evaluations.SelfEvaluation",
            {
                "state": ["submitted", "approved"],
                "actual_text": ["", "完成"],
                "executed_current": ["0.0000", "370.5"],
                "line_comments": {"45": "偏低"},
            },
        )
    )
    assert lines == [
        "状态：已提交 → 已审核",
        "实际完成情况：空 → 完成",
        "全年执行数·本年财政拨款：0.0000 → 370.5",
        "逐行意见 1 条",
    ]


def test_nested_indicator_changes():
    lines = describe_changes(
        log(
            "evaluations.TargetSheet",
            {
                "added": ["群众满意率"],
                "changed": {"话务平台接听量": {"target_value": ["45", "40"]}},
                "results": {"接听量": {"score": [None, "15.00"], "level": ["", "achieved"]}},
            },
        )
    )
    assert lines == [
        "新增指标：群众满意率",
        "话务平台接听量：年度指标值 45 → 40",
        "接听量：得分 空 → 15.00，完成等级 空 → 达成年度指标",
    ]
