from core.models import AuditLog
from evaluations.templatetags.audit_tags import describe_changes, real_changes


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
        "全年执行数·本年财政拨款：0.00万元 → 370.50万元",
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


def test_numbers_compared_and_shown_as_numbers():
    lines = describe_changes(
        log(
            "evaluations.SelfEvaluation",
            {
                "executed_current": ["60.0000", "60"],  # the same amount: no change
                "executed_other": ["0.0000", "60"],
                "results": {
                    "接听量": {"score": ["13.95", "14.25"], "actual_value": ["96.0", "96"]},
                    "满意率": {"actual_value": ["0.0000", "60"], "score": ["60.00", "60"]},
                },
            },
        ),
        1,
    )
    assert lines == [
        "全年执行数·其他资金：0.00万元 → 60.00万元",
        "接听量：得分 14.0 → 14.3",  # the year's score_places (1 here), half up
        "满意率：实际完成值 0 → 60",
    ]


def test_saves_without_a_change_are_not_shown():
    empty = AuditLog(object_type="evaluations.SelfEvaluation", action="绩效自评·保存", changes={})
    zeros = AuditLog(
        object_type="evaluations.SelfEvaluation",
        action="绩效自评·保存",
        changes={"results": {"接听量": {"score": ["60.00", "60"]}}},
    )
    submitted = AuditLog(
        object_type="evaluations.SelfEvaluation",
        action="绩效自评·提交",
        changes={"state": ["draft", "submitted"]},
    )
    assert real_changes([empty, zeros, submitted]) == [(submitted, ["状态：草稿 → 已提交"])]
