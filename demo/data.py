"""Demo data taken from three real public documents (``../shared/seeds/``), as plain Python.

No Django here: a management command turns these lists into rows. Money is always a string of an
exact decimal in 万元 (never a float); ``None`` means "the document gives nothing" and must never
be read as zero.

Sources
-------
* ``000_3b37a6a7e7e988f9.txt`` — 咸宁市政务服务和大数据管理局 2021年部门预算: its three units,
  staffing (编制31, 在职22), income 1793.34, 三公经费, 机关运行经费 53.88, 政府采购 990.35 and,
  in 第四部分（七）, eight projects with amounts and 绩效目标 (year 2021).
* ``001_f7acdd525faa5d81.txt`` — 随州市政务服务和大数据管理局 2023年部门预算: income 1549.55,
  人员/公用/项目支出, 三公经费, 政府采购, 部门整体绩效目标 and six projects, three of them with
  indicators (year 2023).
* ``003_f365b3f8e96fc52a.txt`` — 益阳市行政审批服务局 2020年度整体支出绩效自评报告 with 附件1
  基础数据表 and 附件2 部门整体支出绩效自评表 (year 2020). Every 益阳 figure below is copied from
  it; it is the only real self-evaluation (DEPARTMENT_RESULTS).

Choices where the documents are silent
--------------------------------------
* Codes: departments are ``101`` (咸宁), ``102`` (随州), ``103`` (益阳), sub-units append three
  digits (``101001``). Projects are ``<year>-<department code>-<seq>``.
* Unit kinds: the bureaux are 行政; the sub-units are 事业 (益阳's are called 二级事业单位 in the
  report; 咸宁's are assumed 事业 from its 事业编制).
* Project owners (实施单位): 大数据中心平台建设 and 大数据中心运行保障经费 → 市政府大数据中心,
  the 12345 热线 project → 市12345公共服务热线中心, everything else → the bureau itself (本级).
* Project categories are free text chosen for the demo: 专项业务类, 运行维护类, 信息化建设类.
* Project funds: every project amount is taken as 本年财政拨款; 全年预算数 = 年初预算数 (no
  adjustment is reported); 全年执行数 is "0" (not yet recorded) except for the three 2021
  projects that carry a demo self-evaluation, whose executed amounts are INVENTED demo values
  (all between 90% and 100% of the budget, so no deliberate over-run and no 执行率 deviation).
* Indicators: the documents give one or two indicators per 一级 at most and never a weight. The
  weights are invented so that 产出 50 + 效益 30 + 满意度 10 = 90 on every form (DOMAIN default).
  Where a 一级 has no indicator in the document, plausible ones are ADDED, worded from the
  document's own goal or task text and marked ``# added`` in a comment. Where the document gives
  no 指标值设定依据 the demo uses 计划标准 (the document's own basis is kept where stated).
* A count written without comparator ("软件开发数量1套") is read as ``≥``; "90%以上" as ``≥ 90``;
  "》10万件" (附件2) as ``≥ 10`` with unit 万件; a 100% 完成率/控制率 as ``≥ 100 %``.
* Prior-year 三公经费: the two budget documents give last year's BUDGET (not 决算); it is stored
  in the ``*_prior_final`` fields as the nearest available figure (commented where used).
* Text: verbatim where the document has it; ASCII commas, colons, semicolons and parentheses in
  prose are normalised to full-width Chinese punctuation; numbered items ("1.") and decimal
  points keep the ASCII dot; the "+" of "互联网+" is kept. In 益阳's 年度总体目标 the items were
  run together ("……推进 2..“一件事……", "……提升5. 新型……"); they are separated with "。" here.
* Demo self-evaluation texts, actual values and scores of the 2021 projects are INVENTED and
  marked as such; those of 益阳 2020 are the document's.

Contradictions found in the documents (kept as the document states the total)
------------------------------------------------------------------------------
* 咸宁: 政府采购 990.35 but its parts 18.1 + 864.259 + 108 = 990.359; "三公 5.2 占预算总额的
  0.28%" (5.2 / 1793.34 = 0.29%); the 2021 budget calls its units "纳入……2020年度部门预算的单位"
  and its running costs "2020机关运行经费".
* 随州: 财政拨款 1417.45 but 人员 348.06 + 公用 37.58 + 项目 1031.8 = 1417.44 and the functional
  split 1317.84 + 45.31 + 19.99 + 34.3 = 1417.44; 公用经费 37.58 but its listed items add up to
  37.59; 项目支出 1031.8 (economic split) but the six projects of 第四部分 total 1124.6; the
  increase over 934.86 is stated both as 605.69 (64.79%) and as 614.69 (1549.55 − 934.86 =
  614.69, i.e. 65.75%); the project is called "便民邮寄政府集中付费" in the list and "免费便民
  邮寄费用" in its section, whose goal says "免费邮寄和复印达到8000件" while the indicator says
  "免费邮寄达到8000件"; 部门整体 satisfaction target 85% vs 95%/90% in the projects; "全省第一方针"
  (presumably 第一方阵) is kept verbatim.
* 益阳: 一般公共预算 1406.29 exceeds the 全年预算数 1302.99; it reconciles as 1406.29 + 其他 1
  = 1407.29 = 1302.99 + 45 + 59.3, the two sums the report says were left out of 全年预算数
  (其他需要说明的情况). 基本支出 1043.18 + 项目支出 204.61 = 1247.79 are executed amounts, not
  budgets. 执行率 1247.79 / 1302.99 = 95.76% scores 9.58 under DOMAIN rules (the table rounds to
  96% → 9.6); 9.6 + 50 + 30 + 10 = 99.6 although the table's 总分 is 99. The 附件2 grid gives
  scores per 一级 only (50/30/10), with one row "……" (omitted rows) and the last row (100%,
  10 分) printed before the "满意度指标（10分）" label: it is read as the 满意度 indicator.
"""

# ---------------------------------------------------------------------------------------------
# Classification and default weights (DOMAIN.md)
# ---------------------------------------------------------------------------------------------

INDICATOR_TREE = {
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}

LEVEL1_WEIGHTS = {"产出指标": "50", "效益指标": "30", "满意度指标": "10"}

_LEVEL1_OF = {level2: level1 for level1, children in INDICATOR_TREE.items() for level2 in children}


def _ind(level2, name, comparator, target, unit, weight, basis="计划标准", explanation=""):
    """One 三级指标 as a plain dict; the 一级 follows from the 二级."""
    return {
        "level1": _LEVEL1_OF[level2],
        "level2": level2,
        "name": name,
        "comparator": comparator,
        "target": target,
        "unit": unit,
        "weight": weight,
        "basis": basis,
        "explanation": explanation,
    }


def _funds(initial, executed="0"):
    """Project funds, all from 本年财政拨款, 全年预算数 = 年初预算数 (see module docstring)."""
    return {
        "initial_current": initial,
        "full_current": initial,
        "executed_current": executed,
        "initial_carryover": "0",
        "full_carryover": "0",
        "executed_carryover": "0",
        "initial_other": "0",
        "full_other": "0",
        "executed_other": "0",
    }


def _res(name, actual, score, level=None, reason=""):
    """One indicator result; ``level`` only for 定性 rows."""
    return {"name": name, "actual": actual, "level": level, "score": score, "reason": reason}


YEARS = [2020, 2021, 2023]

# ---------------------------------------------------------------------------------------------
# Departments (parents before children)
# ---------------------------------------------------------------------------------------------

XIANNING = "101"
XIANNING_DATA_CENTRE = "101001"
XIANNING_HOTLINE = "101002"
SUIZHOU = "102"
YIYANG = "103"
YIYANG_HALL = "103001"
YIYANG_DATA_CENTRE = "103002"

DEPARTMENTS = [
    {"code": XIANNING, "name": "咸宁市政务服务和大数据管理局", "kind": "行政", "parent": None},
    {
        "code": XIANNING_DATA_CENTRE,
        "name": "咸宁市政府大数据中心",
        "kind": "事业",
        "parent": XIANNING,
    },
    {
        "code": XIANNING_HOTLINE,
        "name": "咸宁市12345公共服务热线中心",
        "kind": "事业",
        "parent": XIANNING,
    },
    {"code": SUIZHOU, "name": "随州市政务服务和大数据管理局", "kind": "行政", "parent": None},
    {"code": YIYANG, "name": "益阳市行政审批服务局", "kind": "行政", "parent": None},
    # 正科级，非独立核算
    {"code": YIYANG_HALL, "name": "益阳市政务大厅服务中心", "kind": "事业", "parent": YIYANG},
    # 副处级，独立核算
    {
        "code": YIYANG_DATA_CENTRE,
        "name": "益阳市智慧城市和大数据中心",
        "kind": "事业",
        "parent": YIYANG,
    },
]

# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------

_SATISFACTION = "服务对象满意度指标"

PROJECTS = [
    # ---- 咸宁 2021: the eight projects of 第四部分（七）, goals verbatim -------------------
    {
        "year": 2021,
        "department": XIANNING,
        "code": "2021-101-001",
        "name": "政务一体化平台建设",
        "category": "专项业务类",
        # executed 291.6: DEMO value (97.2%)
        "funds": _funds("300", executed="291.6"),
        "overall_goal": (
            "建设鄂汇办旗舰店，50项便民服务应用和200项高频事项入驻旗舰店，"
            "建设市县两级一事联办一体化系统"
        ),
        "indicators": [
            _ind("数量指标", "鄂汇办旗舰店便民服务应用入驻数", "≥", "50", "项", "15"),
            _ind("数量指标", "高频事项入驻旗舰店数", "≥", "200", "项", "15"),
            _ind("数量指标", "市县两级一事联办一体化系统建设数", "≥", "1", "套", "10"),
            # added
            _ind("时效指标", "项目建设完成时间", "定性", "2021年底前完成建设", "", "10"),
            # added (第二部分：办事像网购一样便捷)
            _ind("社会效益指标", "企业和群众网上办事便捷度", "定性", "明显提升", "", "15"),
            # added
            _ind("可持续影响指标", "市县两级一事联办机制", "定性", "长效运行", "", "15"),
            # added
            _ind(_SATISFACTION, "办事群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        # DEMO self-evaluation: every text, actual value and score below is invented.
        "result": {
            "actual_text": (
                "建成鄂汇办咸宁旗舰店，52项便民服务应用和186项高频事项入驻旗舰店，"
                "市县两级一事联办一体化系统上线运行。"
            ),
            "problems": (
                "部分高频事项依赖省级业务系统接口，年内未能全部完成对接，"
                "入驻旗舰店的高频事项未达到年度目标。"
            ),
            "measures": (
                "加强与省级主管部门的沟通协调，2022年一季度完成剩余14项高频事项入驻，"
                "建立入驻事项动态更新机制。"
            ),
            "indicators": [
                _res("鄂汇办旗舰店便民服务应用入驻数", "52", "15"),
                # the missed indicator: 15 × 186 / 200 = 13.95
                _res(
                    "高频事项入驻旗舰店数",
                    "186",
                    "13.95",
                    reason=(
                        "偏差原因：14项高频事项依赖省级业务系统接口，省级接口年内未开放，"
                        "无法入驻。改进措施：已与省级主管部门明确接口开放计划，"
                        "2022年一季度完成剩余事项入驻。"
                    ),
                ),
                _res("市县两级一事联办一体化系统建设数", "1", "10"),
                _res("项目建设完成时间", "2021年12月完成建设", "10", level="achieved"),
                _res("企业和群众网上办事便捷度", "明显提升", "15", level="achieved"),
                _res("市县两级一事联办机制", "长效运行", "15", level="achieved"),
                _res("办事群众满意率", "96.2", "10"),
            ],
        },
    },
    {
        "year": 2021,
        "department": XIANNING,
        "code": "2021-101-002",
        "name": "大楼运维费",
        "category": "运行维护类",
        # executed 150.12: DEMO value (95.01%)
        "funds": _funds("158", executed="150.12"),
        "overall_goal": (
            "保障市政务服务中心大厅正常运转，设施维修时间≤2小时，窗口工作人员和办事群众满意率≥95%"
        ),
        "indicators": [
            _ind("质量指标", "市政务服务中心大厅运转情况", "定性", "保障正常运转", "", "20"),
            _ind("时效指标", "设施维修时间", "≤", "2", "小时", "20"),
            # added
            _ind("成本指标", "大楼运维费支出", "≤", "158", "万元", "10", "预算支出标准"),
            # added
            _ind("社会效益指标", "安全责任事故发生数", "=", "0", "起", "15"),
            # added
            _ind("可持续影响指标", "大厅设施设备完好率", "≥", "95", "%", "15", "历史标准"),
            _ind(_SATISFACTION, "窗口工作人员和办事群众满意率", "≥", "95", "%", "10"),
        ],
        # DEMO self-evaluation: every text, actual value and score below is invented.
        "result": {
            "actual_text": (
                "全年保障市政务服务中心大厅正常运转，设施报修平均1.5小时内完成维修，"
                "未发生安全责任事故，窗口工作人员和办事群众满意率97.3%。"
            ),
            "problems": "部分设施设备使用年限较长，维修频次有所增加。",
            "measures": "制定设施设备更新计划，加强日常巡检和预防性维护。",
            "indicators": [
                _res("市政务服务中心大厅运转情况", "保障正常运转", "20", level="achieved"),
                _res("设施维修时间", "1.5", "20"),
                _res("大楼运维费支出", "150.12", "10"),
                _res("安全责任事故发生数", "0", "15"),
                _res("大厅设施设备完好率", "97", "15"),
                _res("窗口工作人员和办事群众满意率", "97.3", "10"),
            ],
        },
    },
    {
        "year": 2021,
        "department": XIANNING_DATA_CENTRE,
        "code": "2021-101001-001",
        "name": "大数据中心平台建设",
        "category": "信息化建设类",
        "funds": _funds("197"),
        "overall_goal": (
            "政务云平台服务单位≥30家，政务云平台虚拟机提供数≥300个，"
            "电子证照接入单位≥200个，数据共享平台接入数据量≥2亿"
        ),
        "indicators": [
            _ind("数量指标", "政务云平台服务单位", "≥", "30", "家", "15"),
            _ind("数量指标", "政务云平台虚拟机提供数", "≥", "300", "个", "15"),
            _ind("数量指标", "电子证照接入单位", "≥", "200", "个", "10"),
            # the document writes "≥2亿" without a unit: 亿条 is the demo's reading
            _ind("数量指标", "数据共享平台接入数据量", "≥", "2", "亿条", "10"),
            # added
            _ind("社会效益指标", "政务数据资源共享开放水平", "定性", "明显提升", "", "15"),
            # added
            _ind("可持续影响指标", "政务云平台运行", "定性", "持续稳定运行", "", "15"),
            # added
            _ind(_SATISFACTION, "政务云平台服务单位满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2021,
        "department": XIANNING,
        "code": "2021-101-003",
        "name": "网络及系统运维费",
        "category": "运行维护类",
        "funds": _funds("96"),
        "overall_goal": "保障市政务服务中心大楼网络运行",
        "indicators": [
            _ind("质量指标", "市政务服务中心大楼网络运行", "定性", "保障正常运行", "", "30"),
            # added
            _ind("时效指标", "网络故障响应时间", "≤", "2", "小时", "20", "行业标准"),
            # added
            _ind(
                "社会效益指标",
                "政务服务业务办理网络支撑",
                "定性",
                "业务办理不因网络故障中断",
                "",
                "30",
            ),
            # added
            _ind(_SATISFACTION, "入驻单位满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2021,
        "department": XIANNING_HOTLINE,
        "code": "2021-101002-001",
        "name": "市政府12345公共服务热线项目建设及运维费",
        "category": "运行维护类",
        # executed 142.8: DEMO value (96.49%)
        "funds": _funds("148", executed="142.8"),
        "overall_goal": "保障市12345公共服务热线中心正常运转",
        "indicators": [
            _ind("质量指标", "市12345公共服务热线中心运转情况", "定性", "保障正常运转", "", "20"),
            # added (第二部分（五）：解决热线诉求事项超期办理)
            _ind("时效指标", "热线诉求工单按期办结率", "≥", "95", "%", "15", "历史标准"),
            # added (第二部分（五）：第一时间添加至热线知识库)
            _ind(
                "时效指标",
                "民生重大政策及便民公告添加至知识库时限",
                "定性",
                "第一时间添加",
                "",
                "15",
            ),
            # added (第二部分（五）：合理解决好跨部门的综合性诉求问题)
            _ind(
                "社会效益指标",
                "跨部门综合性诉求协调解决",
                "定性",
                "合理解决，避免拖拉、推诿“扯皮”",
                "",
                "30",
            ),
            # added (第二部分（五）：回访群众满意度)
            _ind(_SATISFACTION, "回访群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        # DEMO self-evaluation: every text, actual value and score below is invented.
        "result": {
            "actual_text": (
                "全年保障市12345公共服务热线中心正常运转，热线诉求工单按期办结率96.1%，"
                "跨部门综合性诉求均明确牵头部门协调办理，回访群众满意率95.8%。"
            ),
            "problems": "部分部门未及时报送政策更新资料，热线知识库更新存在滞后。",
            "measures": "建立知识库更新月报和通报制度，将资料报送时效纳入部门考核。",
            "indicators": [
                _res("市12345公共服务热线中心运转情况", "保障正常运转", "20", level="achieved"),
                _res("热线诉求工单按期办结率", "96.1", "15"),
                # the partly achieved 定性 row: band 60%–<80% of 15 = 9–<12
                _res(
                    "民生重大政策及便民公告添加至知识库时限",
                    "部分政策资料滞后添加",
                    "10.5",
                    level="partial",
                    reason=(
                        "偏差原因：部分部门未及时报送民生政策和便民公告资料，"
                        "知识库更新平均滞后3个工作日。改进措施：建立知识库更新月报制度，"
                        "对报送不及时的部门进行通报。"
                    ),
                ),
                _res("跨部门综合性诉求协调解决", "合理解决", "30", level="achieved"),
                _res("回访群众满意率", "95.8", "10"),
            ],
        },
    },
    {
        "year": 2021,
        "department": XIANNING,
        "code": "2021-101-004",
        "name": "咸宁市“一库共享、一证通办”智慧政务3.0改革项目",
        "category": "信息化建设类",
        "funds": _funds("204"),
        "overall_goal": (
            "研发“智能大厅服务系统”、“政务服务联审联办系统”、“创新创业信息服务系统”等三个应用系统"
        ),
        "indicators": [
            _ind("数量指标", "应用系统研发数量", "≥", "3", "个", "20"),
            # added
            _ind("质量指标", "应用系统验收", "定性", "通过验收", "", "15"),
            # added
            _ind("时效指标", "系统上线时间", "定性", "2021年底前上线", "", "15"),
            # added
            _ind(
                "社会效益指标",
                "“一库共享、一证通办”实现情况",
                "定性",
                "一库共享、一证通办",
                "",
                "15",
            ),
            # added
            _ind("可持续影响指标", "应用系统持续使用年限", "≥", "3", "年", "15", "行业标准"),
            # added
            _ind(_SATISFACTION, "办事群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2021,
        "department": XIANNING,
        "code": "2021-101-005",
        "name": "咸宁市工程建设项目审批管理系统建设项目",
        "category": "信息化建设类",
        "funds": _funds("73"),
        "overall_goal": "完善咸宁市工程建设项目审批管理系统并保障运维",
        "indicators": [
            _ind("质量指标", "工程建设项目审批管理系统完善", "定性", "完成系统完善", "", "25"),
            # added (保障运维)
            _ind("质量指标", "系统正常运行率", "≥", "98", "%", "25", "行业标准"),
            # added
            _ind("社会效益指标", "工程建设项目审批效率", "定性", "明显提升", "", "30"),
            # added
            _ind(_SATISFACTION, "办事企业满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2021,
        "department": XIANNING_DATA_CENTRE,
        "code": "2021-101001-002",
        "name": "市政府大数据中心运行保障经费",
        "category": "运行维护类",
        "funds": _funds("110"),
        "overall_goal": "保障市政府大数据中心运行",
        "indicators": [
            _ind("质量指标", "市政府大数据中心运行", "定性", "保障正常运行", "", "30"),
            # added
            _ind("成本指标", "运行保障经费支出", "≤", "110", "万元", "20", "预算支出标准"),
            # added
            _ind("可持续影响指标", "政务数据资源整合共享支撑", "定性", "持续保障", "", "30"),
            # added
            _ind(_SATISFACTION, "服务单位满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    # ---- 随州 2023: the six projects of 第四部分 (targets only, nothing executed yet) ---------
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-001",
        "name": "12345市长热线",
        "category": "运行维护类",
        "funds": _funds("390"),
        "overall_goal": (
            "搭建相关系统，使市民只需拨打“12345”即可获得有关政府政务及公共服务。"
            "市民利用电话、微信、网站等多种手段，实现对市民请求的闭环管理，"
            "同时利用12345系统，督促政府职能部门和公共服务单位，实现基于工单的闭环管理。"
        ),
        "indicators": [
            # the document names the cost items without a value: the budget is the demo's cap
            _ind(
                "成本指标",
                "服务外包、基础场地、网络运营成本",
                "≤",
                "390",
                "万元",
                "15",
                "历史标准",
            ),
            _ind("数量指标", "话务平台接听量", "≥", "45", "万件", "20", "历史标准"),
            # added (goal text: 实现基于工单的闭环管理)
            _ind("质量指标", "市民请求工单闭环管理", "定性", "实现闭环管理", "", "15"),
            # added (goal text)
            _ind(
                "社会效益指标",
                "市民获取政务及公共服务渠道",
                "定性",
                "拨打“12345”即可获得",
                "",
                "15",
            ),
            # added (goal text)
            _ind(
                "社会效益指标",
                "督促政府职能部门和公共服务单位办理诉求",
                "定性",
                "有效督促",
                "",
                "15",
            ),
            _ind(_SATISFACTION, "群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-002",
        "name": "便民邮寄政府集中付费",
        "category": "专项业务类",
        "funds": _funds("15"),
        "overall_goal": "免费邮寄和复印达到8000件。",
        "indicators": [
            _ind("数量指标", "免费邮寄件数", "≥", "8000", "件", "30", "行业标准"),
            # added
            _ind("成本指标", "免费邮寄费用", "≤", "15", "万元", "20", "预算支出标准"),
            _ind("社会效益指标", "群众办事跑动次数", "定性", "群众少跑路", "", "30", "历史标准"),
            _ind(_SATISFACTION, "群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-003",
        "name": "互联网+政务服务功能提升工程",
        "category": "信息化建设类",
        "funds": _funds("40"),
        # added: the document gives no goal for this project; the wording is the department's
        "overall_goal": "按照要求完成“互联网+放管服”相关工作，提升互联网+政务服务功能。",
        # The document gives no indicators for this project; it is the only software project,
        # so it carries the software indicators of the 部门整体 targets (历史标准 as stated there).
        "indicators": [
            _ind("数量指标", "软件开发数量", "≥", "1", "套", "15", "历史标准"),
            _ind("质量指标", "系统验收合格率", "≥", "95", "%", "15", "历史标准"),
            _ind("质量指标", "系统正常运行率", "≥", "98", "%", "20", "历史标准"),
            _ind("可持续影响指标", "系统正常使用年限", "≥", "5", "年", "15", "历史标准"),
            _ind(
                "社会效益指标",
                "推进“互联网+放管服”",
                "定性",
                "按要求完成相关工作",
                "",
                "15",
                "历史标准",
            ),
            _ind(_SATISFACTION, "群众满意率", "≥", "85", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-004",
        "name": "运行维护管理经费",
        "category": "运行维护类",
        "funds": _funds("200"),
        "overall_goal": "保障服务大厅环境卫生、安全、日常办公正常运行",
        "indicators": [
            _ind("数量指标", "政务服务大厅办件量", "≥", "50", "万件", "50", "历史标准"),
            _ind(
                "社会效益指标",
                "服务大厅环境卫生、安全、日常办公",
                "定性",
                "保障正常运行",
                "",
                "30",
                "历史标准",
            ),
            _ind(_SATISFACTION, "群众满意度", "≥", "90", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-005",
        "name": "一窗通办综合窗口",
        "category": "专项业务类",
        "funds": _funds("31.5"),
        # added: no goal or indicator in the document (年度工作任务 5：推进“一网、一门、一次”工作)
        "overall_goal": "保障一窗通办综合窗口外包服务正常运行，推进“一网、一门、一次”工作。",
        "indicators": [
            _ind("成本指标", "综合窗口外包服务费", "≤", "31.5", "万元", "20", "预算支出标准"),
            _ind("质量指标", "综合窗口无差别受理", "定性", "实现一窗受理", "", "30"),
            _ind("社会效益指标", "“一网、一门、一次”改革", "定性", "持续推进", "", "30"),
            _ind(_SATISFACTION, "群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        "code": "2023-102-006",
        "name": "政务大厅前台服务外包项目",
        "category": "专项业务类",
        "funds": _funds("448.1"),
        # added: no goal or indicator in the document (年度工作任务 6：完善政务服务体系)
        "overall_goal": "通过前台服务外包保障政务大厅正常运行，完善政务服务体系。",
        "indicators": [
            _ind("成本指标", "前台服务外包费用", "≤", "448.1", "万元", "20", "预算支出标准"),
            _ind("质量指标", "政务大厅前台服务", "定性", "保障正常运行", "", "30"),
            _ind("社会效益指标", "政务服务体系", "定性", "进一步完善", "", "30"),
            _ind(_SATISFACTION, "群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
        "result": None,
    },
]

# ---------------------------------------------------------------------------------------------
# Department-level figures (部门整体)
# ---------------------------------------------------------------------------------------------

DEPARTMENT_BUDGETS = [
    {
        "year": 2021,
        "department": XIANNING,
        # 总收入 1793.34 = 财政拨款 1778.47 + 社保基金 8.69 + 上年结余 6.18; the last two have
        # no column of their own and are put under 其他 (8.69 + 6.18 = 14.87). No 政府性基金
        # ("本单位无政府性基金支出"); 专户 0 because the parts already add up to the total.
        # The budget document has no 全年预算数 and no execution: those are None.
        "income_public_initial": "1778.47",
        "income_public_full": None,
        "income_public_executed": None,
        "income_fund_initial": "0",
        "income_fund_full": None,
        "income_fund_executed": None,
        "income_special_initial": "0",
        "income_special_full": None,
        "income_special_executed": None,
        "income_other_initial": "14.87",
        "income_other_full": None,
        "income_other_executed": None,
        # 人员/公用 split not published
        "basic_personnel_budget": None,
        "basic_personnel_final": None,
        "basic_public_budget": None,
        "basic_public_final": None,
        # derived: the eight projects under performance management, 300 + 158 + 197 + 96 + 148
        # + 204 + 73 + 110 = 1286
        "project_budget": "1286",
        "project_final": None,
        # 总编制31 = 行政15 + 事业11 + 工勤1 + 以钱养事4; 在职22 = 12 + 9 + 1
        "staff_quota": 31,
        "staff_actual": 22,
        # 三公 5.2 = 出国 0 + 公务用车 4 (all 运行维护: 燃料、维修、过路过桥、保险) + 接待 1.2.
        # *_prior_final hold the 2020 BUDGET ("同比无变化"; 接待 "2020年预算为1万元").
        "abroad_prior_final": "0",
        "abroad_budget": "0",
        "abroad_final": None,
        "car_purchase_prior_final": "0",
        "car_purchase_budget": "0",
        "car_purchase_final": None,
        "car_running_prior_final": "4",
        "car_running_budget": "4",
        "car_running_final": None,
        "reception_prior_final": "1",
        "reception_budget": "1.2",
        "reception_final": None,
        # from the 机关运行经费 items: 办公费 4; 水费 1 + 电费 3 + 差旅费 1; 会议费 1.2 + 培训费 1.2
        "office_prior_final": None,
        "office_budget": "4",
        "office_final": None,
        "utilities_travel_prior_final": None,
        "utilities_travel_budget": "5",
        "utilities_travel_final": None,
        "meeting_training_prior_final": None,
        "meeting_training_budget": "2.4",
        "meeting_training_final": None,
        "operating_budget": "53.88",
        "operating_final": None,
        # 货物 18.1 + 工程 864.259 + 服务 108 = 990.359; the document's total is kept
        "procurement_budget": "990.35",
        "procurement_actual": None,
        "carryover_balance": None,
    },
    {
        "year": 2023,
        "department": SUIZHOU,
        # 预算收入 1549.55 = 财政拨款 1417.45 + 其他收入 132.1; 无政府性基金; 专户 0 (parts add
        # up to the total). A budget document: no 全年预算数, no execution.
        "income_public_initial": "1417.45",
        "income_public_full": None,
        "income_public_executed": None,
        "income_fund_initial": "0",
        "income_fund_full": None,
        "income_fund_executed": None,
        "income_special_initial": "0",
        "income_special_full": None,
        "income_special_executed": None,
        "income_other_initial": "132.1",
        "income_other_full": None,
        "income_other_executed": None,
        "basic_personnel_budget": "348.06",
        "basic_personnel_final": None,
        "basic_public_budget": "37.58",
        "basic_public_final": None,
        # 项目支出 as in the economic split; the six projects of 第四部分 total 1124.6
        "project_budget": "1031.8",
        "project_final": None,
        # No 编制数 is published. 现有管理人员24人 = 公务员12 + 参公2 + 事业编2 + 劳务派遣8;
        # 实有在职 counts the 16 staff on the establishment, not the 8 agency workers.
        "staff_quota": None,
        "staff_actual": 16,
        # 三公 1.35 = 接待 1.35; *_prior_final hold the 2022 BUDGET (出国 1 "误填", 接待 1.34,
        # 公务用车 0 since the 2016 reform): 1 + 1.34 = 2.34 = 1.35 + 0.99.
        "abroad_prior_final": "1",
        "abroad_budget": "0",
        "abroad_final": None,
        "car_purchase_prior_final": "0",
        "car_purchase_budget": "0",
        "car_purchase_final": None,
        "car_running_prior_final": "0",
        "car_running_budget": "0",
        "car_running_final": None,
        "reception_prior_final": "1.34",
        "reception_budget": "1.35",
        "reception_final": None,
        # from the 公用支出 items: 办公费 1; 水费 0.35 + 电费 1 + 差旅费 8; 会议费 1 + 培训费 1.5
        "office_prior_final": None,
        "office_budget": "1",
        "office_final": None,
        "utilities_travel_prior_final": None,
        "utilities_travel_budget": "9.35",
        "utilities_travel_final": None,
        "meeting_training_prior_final": None,
        "meeting_training_budget": "2.5",
        "meeting_training_final": None,
        # "一般公共预算公用支出总计37.58万元" under 机关运行经费等重要事项的说明
        "operating_budget": "37.58",
        "operating_final": None,
        # 货物 980.6 + 服务 15, 无工程
        "procurement_budget": "995.6",
        "procurement_actual": None,
        "carryover_balance": None,
    },
    {
        "year": 2020,
        "department": YIYANG,
        # 附件2 年度资金总额: 年初 902.54, 全年 1302.99, 执行 1247.79. The table's income split
        # (一般公共预算 1406.29, 其他资金 1) includes the 45 + 59.3 left out of 全年预算数
        # (1406.29 + 1 = 1302.99 + 45 + 59.3). Here 其他资金 1 is kept as printed and 一般公共
        # 预算 is the remainder of each total: 全年 1302.99 − 1 = 1301.99, 执行 1247.79 − 1 =
        # 1246.79; 年初 902.54 is all 一般公共预算 (the 1 is assumed to have come during the
        # year). 政府性基金 and 专户 cells are blank and the report says there are none: 0.
        "income_public_initial": "902.54",
        "income_public_full": "1301.99",
        "income_public_executed": "1246.79",
        "income_fund_initial": "0",
        "income_fund_full": "0",
        "income_fund_executed": "0",
        "income_special_initial": "0",
        "income_special_full": "0",
        "income_special_executed": "0",
        "income_other_initial": "0",
        "income_other_full": "1",
        "income_other_executed": "1",
        # 基本支出 1043.18 = 局机关 910.5 (人员 500.66 + 公用 409.84) + 大数据中心 132.68, whose
        # 人员/公用 split is not published: 98.25 / 34.43 is a DEMO split, so 人员 598.91 and
        # 公用 444.27 are partly invented. Budget-side splits are not published: None.
        "basic_personnel_budget": None,
        "basic_personnel_final": "598.91",
        "basic_public_budget": None,
        "basic_public_final": "444.27",
        # 附件1 项目支出: 业务工作经费 58 + 运行维护经费 165.2 = 223.2 (2020预算数);
        # 50.48 + 154.13 = 204.61 (2020决算数 = 附件2 项目支出)
        "project_budget": "223.2",
        "project_final": "204.61",
        "staff_quota": 42,
        "staff_actual": 37,
        # 附件1 三公: 出国 and 公车购置 cells are blank and the totals (7.69 / 21.09 / 10.26) equal
        # 运行维护 + 接待, so they are 0.
        "abroad_prior_final": "0",
        "abroad_budget": "0",
        "abroad_final": "0",
        "car_purchase_prior_final": "0",
        "car_purchase_budget": "0",
        "car_purchase_final": "0",
        "car_running_prior_final": "7.58",
        "car_running_budget": "14",
        "car_running_final": "9.96",
        "reception_prior_final": "0.11",
        "reception_budget": "7.09",
        "reception_final": "0.3",
        "office_prior_final": "23.77",
        "office_budget": "12",
        "office_final": "15.41",
        "utilities_travel_prior_final": "72.27",
        "utilities_travel_budget": "70.2",
        "utilities_travel_final": "58.26",
        "meeting_training_prior_final": "39.85",
        "meeting_training_budget": "13",
        "meeting_training_final": "0.5",
        # not reported (政府采购金额 "——")
        "operating_budget": None,
        "operating_final": None,
        "procurement_budget": None,
        "procurement_actual": None,
        "carryover_balance": None,
    },
]

YIYANG_GOAL = (
    "1.“放管服”改革纵深推进。2.“一件事一次办”实现跨域通办。"
    "3.基层政务服务（一门式）全覆盖全面推进。4.网上政务服务能力不断提升。"
    "5.新型智慧城市建设稳步推进。"
)

# 附件2 names, verbatim without their "指标1：" prefix
YIYANG_COVERAGE = "基层政务服务（一门式）全覆盖全面推进"
YIYANG_SUPERVISION = "我市“互联网+监管”工作市级层面和县级层面事项梳理"
YIYANG_EFFICIENCY = "窗口减少内部审批环节，进一步提升行政审批效率。提高办件提速率。"
YIYANG_CONTROL = "财政供养人员、编制内在职人员控制在预算编制以内，支出总额控制在预算总额以内"
YIYANG_ENVIRONMENT = (
    "通过各项举措，对提高行政审批效率、提高群众办事方便快捷度、减少群众办事时间，政务环境不断改善"
)
YIYANG_SERVICE = (
    "增强工作人员的责任感和服务意识，提升服务质量。强化监管评价，"
    "通过“好差评”系统群众可在事中、事后对办件进行评价"
)

DEPARTMENT_TARGETS = [
    {
        "year": 2023,
        "department": SUIZHOU,
        "overall_goal": (
            "按照要求完成“互联网+放管服”相关工作，确保12345市长热线正常运行，"
            "保障政务大厅正常运行，全市部门网站安全有序运转，实现进入“全省第一方针”目标。"
        ),
        # 第四部分一、2: every basis "历史标准"; weights invented
        "indicators": [
            _ind("数量指标", "软件开发数量", "≥", "1", "套", "15", "历史标准"),
            _ind("质量指标", "系统验收合格率", "≥", "95", "%", "15", "历史标准"),
            _ind("质量指标", "系统正常运行率", "≥", "98", "%", "20", "历史标准"),
            _ind("可持续影响指标", "系统正常使用年限", "≥", "5", "年", "9", "历史标准"),
            _ind(
                "社会效益指标",
                "12345市长热线电话运行",
                "定性",
                "正常运行",
                "",
                "7",
                "历史标准",
            ),
            _ind(
                "社会效益指标",
                "政务大厅卫生、安全、日常办公",
                "定性",
                "保障正常运行",
                "",
                "7",
                "历史标准",
            ),
            _ind(
                "可持续影响指标",
                "推进“互联网+放管服”",
                "定性",
                "持续推进",
                "",
                "7",
                "历史标准",
            ),
            _ind(_SATISFACTION, "群众满意率", "≥", "85", "%", "10", "历史标准"),
        ],
    },
    {
        "year": 2020,
        "department": YIYANG,
        "overall_goal": YIYANG_GOAL,
        # 附件2 grid. The table gives 分值 per 一级 only (产出50, 效益30, 满意度10); the split
        # among the 三级 rows (20/15/15, 15/15, 10) is the demo's. No basis is printed: 计划标准.
        "indicators": [
            _ind("数量指标", YIYANG_COVERAGE, "≥", "10", "万件", "20"),
            _ind("质量指标", YIYANG_SUPERVISION, "≥", "100", "%", "15"),
            _ind("时效指标", YIYANG_EFFICIENCY, "定性", "大幅提升", "", "15"),
            _ind("经济效益指标", YIYANG_CONTROL, "≥", "100", "%", "15"),
            _ind("社会效益指标", YIYANG_ENVIRONMENT, "定性", "较大", "", "15"),
            # printed without a 二级 just before "满意度指标（10分）": read as 满意度
            _ind(_SATISFACTION, YIYANG_SERVICE, "≥", "100", "%", "10"),
        ],
    },
    {
        "year": 2021,
        "department": XIANNING,
        # The 2021 budget has no 部门整体 targets: the goal joins the five headings of 第二部分
        # (2021年主要工作任务) and every indicator below is ADDED from that section's text.
        "overall_goal": (
            "政务服务工作：机制创新，服务更便利。政务信息化工作：管理创新，对接联办更通达。"
            "公共资源交易监管工作：监督创新，管控更深入。政务公开工作：方式创新，"
            "融合应用更全面。12345公共服务热线中心工作：方法创新，服务更贴心。"
        ),
        "indicators": [
            _ind("数量指标", "政府采购招标（采购）文件示范文本编制数", "≥", "5", "套", "10"),
            _ind("数量指标", "“双随机一公开”执法检查次数", "≥", "1", "次", "10"),
            _ind(
                "数量指标",
                "面向招标人、招标代理、评标专家业务培训次数",
                "≥",
                "3",
                "次",
                "10",
                explanation="全年至少面向招标人、招标代理、评标专家各组织1次业务培训。",
            ),
            _ind("质量指标", "政务服务三项工作机制", "定性", "全面达标", "", "10"),
            _ind("时效指标", "2021年重点项目", "定性", "年内落实落地", "", "10"),
            _ind(
                "社会效益指标",
                "政务服务办事便捷度",
                "定性",
                "办事像网购一样便捷",
                "",
                "15",
            ),
            _ind(
                "可持续影响指标",
                "市县乡村四级政务服务“就近办”模式",
                "定性",
                "持续深化",
                "",
                "15",
            ),
            _ind(_SATISFACTION, "办事群众满意率", "≥", "95", "%", "10", "历史标准"),
        ],
    },
]

DEPARTMENT_RESULTS = [
    {
        "year": 2020,
        "department": YIYANG,
        # as the published table prints them: 执行率 95.76% agrees; 总分 99 does not (99.58)
        "stated_execution_rate": "0.9576",
        "stated_total_score": "99",
        "actual_text": (
            "1.“放管服”改革纵深推进，全市所有办件承诺提速率达69.36%，即办件占比达16%。"
            "2.“一件事一次办”实现跨域通办。截止目前，我市“六稳”“六保”政策兑现事项"
            "累积办件253546件，惠及企业24326家，减免税费额达87983.27万元。"
            "3.基层政务服务（一门式）全覆盖全面推进。目前，群众已在“家门口”就近申办"
            "10.5万件办件。4.网上政务服务能力不断提升。全市全程网办业务量已超40万件。"
            "5.新型智慧城市建设稳步推进。"
        ),
        "problems": (
            "预算执行存在偏差。由于年初预算安排经费不足，本年度许多专项工作需要申请追加预算，"
            "导致实际经费支出高于年初预算，预算编制与实际情况存在偏差。"
        ),
        "measures": (
            "科学合理编制预算，严格执行预算在预算金额内严格控制费用的支出，控制超支现象的发生。"
            "对于年度无法预计的临时追加的相关工作所需费用，用其他费用项目结余资金调剂使用"
            "或确因工作需要追加费用预算的，按照费用预算调整的报批程序，经批准后再使用。\n"
            "在费用报账支付时，严格审核，控制费用跨年度报账，确保费用核算的及时性和完整性；"
            "按照费用的实际使用用途进行资金支付和财务列报，"
            "严格按照行政事业单位会计制度进行财务核算。"
        ),
        # Actual values as printed; every 一级 got its full score (50/30/10) in the table.
        "indicators": [
            _res(YIYANG_COVERAGE, "10.5", "20"),
            _res(YIYANG_SUPERVISION, "100", "15"),
            _res(YIYANG_EFFICIENCY, "大幅提升", "15", level="achieved"),
            _res(YIYANG_CONTROL, "100", "15"),
            _res(YIYANG_ENVIRONMENT, "较大", "15", level="achieved"),
            _res(YIYANG_SERVICE, "100", "10"),
        ],
    },
]


# 指标库 (issue 15): finance's indicators for reuse across years, taken from the demo's own
# indicators above (the seeds' tables). (code, 一级, 二级, 行业/领域, 三级, comparator,
# typical value, unit, 指标解释, 评（扣）分标准)
_FULL = "完成指标值得满分；未完成的按完成比例计分。"
_SAT = "达到指标值得满分；每低1个百分点扣10%分值，扣完为止。"
_QUAL = "达成得满分，部分达成得50%分值，未达成不得分。"
_COST = "不超过指标值得满分；每超出1%扣10%分值，扣完为止。"
LIBRARY = [
    (
        "XXH-SL-001",
        "产出指标",
        "数量指标",
        "信息化建设",
        "应用系统研发数量",
        "≥",
        "3",
        "个",
        "年度内完成开发并上线的应用系统个数。",
        _FULL,
    ),
    (
        "XXH-SL-002",
        "产出指标",
        "数量指标",
        "信息化建设",
        "政务云平台虚拟机提供数",
        "≥",
        "300",
        "个",
        "政务云平台年末向各单位提供的虚拟机数量。",
        _FULL,
    ),
    (
        "XXH-SL-003",
        "产出指标",
        "数量指标",
        "信息化建设",
        "政务云平台服务单位",
        "≥",
        "30",
        "家",
        "使用政务云平台的单位数量。",
        _FULL,
    ),
    (
        "XXH-SL-004",
        "产出指标",
        "数量指标",
        "信息化建设",
        "电子证照接入单位",
        "≥",
        "200",
        "个",
        "接入电子证照库的发证单位数量。",
        _FULL,
    ),
    (
        "XXH-SL-005",
        "产出指标",
        "数量指标",
        "信息化建设",
        "数据共享平台接入数据量",
        "≥",
        "2",
        "亿条",
        "数据共享交换平台年末累计汇聚的数据条数。",
        _FULL,
    ),
    (
        "XXH-ZL-001",
        "产出指标",
        "质量指标",
        "信息化建设",
        "系统验收合格率",
        "≥",
        "95",
        "%",
        "通过验收的系统（模块）数 / 应验收数 × 100%。",
        _SAT,
    ),
    (
        "XXH-ZL-002",
        "产出指标",
        "质量指标",
        "信息化建设",
        "系统正常运行率",
        "≥",
        "98",
        "%",
        "系统正常运行时长 / 全年应运行时长 × 100%。",
        _SAT,
    ),
    (
        "XXH-SX-001",
        "产出指标",
        "时效指标",
        "信息化建设",
        "系统上线时间",
        "定性",
        "年底前上线",
        "",
        "系统按计划完成部署并正式上线的时间。",
        _QUAL,
    ),
    (
        "XXH-CX-001",
        "效益指标",
        "可持续影响指标",
        "信息化建设",
        "系统正常使用年限",
        "≥",
        "5",
        "年",
        "系统建成后可持续使用的年限。",
        _FULL,
    ),
    (
        "XXH-SH-001",
        "效益指标",
        "社会效益指标",
        "信息化建设",
        "政务数据资源共享开放水平",
        "定性",
        "明显提升",
        "",
        "政务数据共享、开放的范围和质量较上年的变化。",
        _QUAL,
    ),
    (
        "YW-ZL-001",
        "产出指标",
        "质量指标",
        "运维保障",
        "大厅设施设备完好率",
        "≥",
        "95",
        "%",
        "完好的设施设备数 / 设施设备总数 × 100%。",
        _SAT,
    ),
    (
        "YW-SX-001",
        "产出指标",
        "时效指标",
        "运维保障",
        "设施维修时间",
        "≤",
        "2",
        "小时",
        "从报修到修复的平均时长。",
        "不超过指标值得满分；每超出0.5小时扣20%分值，扣完为止。",
    ),
    (
        "YW-SX-002",
        "产出指标",
        "时效指标",
        "运维保障",
        "网络故障响应时间",
        "≤",
        "2",
        "小时",
        "网络故障从报告到响应的平均时长。",
        "不超过指标值得满分；每超出0.5小时扣20%分值，扣完为止。",
    ),
    (
        "YW-CB-001",
        "产出指标",
        "成本指标",
        "运维保障",
        "运行保障经费支出",
        "≤",
        "",
        "万元",
        "年度运行维护经费的实际支出，典型值按预算填写。",
        _COST,
    ),
    (
        "YW-ZL-002",
        "产出指标",
        "质量指标",
        "运维保障",
        "政务服务中心大厅运转情况",
        "定性",
        "保障正常运转",
        "",
        "大厅水电、网络、安保、保洁等保障情况。",
        _QUAL,
    ),
    (
        "YW-SH-001",
        "效益指标",
        "社会效益指标",
        "运维保障",
        "安全责任事故发生数",
        "=",
        "0",
        "起",
        "年度内发生的安全责任事故起数。",
        "未发生得满分；发生1起不得分。",
    ),
    (
        "YW-MY-001",
        "满意度指标",
        "服务对象满意度指标",
        "运维保障",
        "入驻单位满意率",
        "≥",
        "95",
        "%",
        "对入驻单位的问卷调查中满意及基本满意的比例。",
        _SAT,
    ),
    (
        "ZW-SL-001",
        "产出指标",
        "数量指标",
        "政务服务",
        "政务服务大厅办件量",
        "≥",
        "50",
        "万件",
        "政务服务大厅年度受理办结的事项件数。",
        _FULL,
    ),
    (
        "ZW-SL-002",
        "产出指标",
        "数量指标",
        "政务服务",
        "话务平台接听量",
        "≥",
        "45",
        "万件",
        "12345热线年度人工接听的来电数量。",
        _FULL,
    ),
    (
        "ZW-SL-003",
        "产出指标",
        "数量指标",
        "政务服务",
        "高频事项入驻旗舰店数",
        "≥",
        "200",
        "项",
        "高频政务服务事项在线上旗舰店可办的数量。",
        _FULL,
    ),
    (
        "ZW-SL-004",
        "产出指标",
        "数量指标",
        "政务服务",
        "免费邮寄件数",
        "≥",
        "8000",
        "件",
        "为办事群众免费邮寄证照、材料的件数。",
        _FULL,
    ),
    (
        "ZW-SX-001",
        "产出指标",
        "时效指标",
        "政务服务",
        "热线诉求工单按期办结率",
        "≥",
        "95",
        "%",
        "按期办结的工单数 / 应办结工单数 × 100%。",
        _SAT,
    ),
    (
        "ZW-ZL-001",
        "产出指标",
        "质量指标",
        "政务服务",
        "市民请求工单闭环管理",
        "定性",
        "实现闭环管理",
        "",
        "工单受理、转办、办理、回访、办结全流程闭环。",
        _QUAL,
    ),
    (
        "ZW-ZL-002",
        "产出指标",
        "质量指标",
        "政务服务",
        "综合窗口无差别受理",
        "定性",
        "实现一窗受理",
        "",
        "综合窗口对各类事项无差别受理的实现情况。",
        _QUAL,
    ),
    (
        "ZW-CB-001",
        "产出指标",
        "成本指标",
        "政务服务",
        "综合窗口外包服务费",
        "≤",
        "",
        "万元",
        "综合窗口服务外包的年度支出，典型值按合同填写。",
        _COST,
    ),
    (
        "ZW-SH-001",
        "效益指标",
        "社会效益指标",
        "政务服务",
        "企业和群众网上办事便捷度",
        "定性",
        "明显提升",
        "",
        "网上可办率、跑动次数、办理时长等较上年的变化。",
        _QUAL,
    ),
    (
        "ZW-SH-002",
        "效益指标",
        "社会效益指标",
        "政务服务",
        "群众办事跑动次数",
        "定性",
        "群众少跑路",
        "",
        "群众办理一件事平均到现场的次数。",
        _QUAL,
    ),
    (
        "ZW-MY-001",
        "满意度指标",
        "服务对象满意度指标",
        "政务服务",
        "办事群众满意率",
        "≥",
        "95",
        "%",
        "“好差评”系统及回访中满意评价的比例。",
        _SAT,
    ),
    (
        "ZW-MY-002",
        "满意度指标",
        "服务对象满意度指标",
        "政务服务",
        "回访群众满意率",
        "≥",
        "95",
        "%",
        "热线回访中表示满意的群众比例。",
        _SAT,
    ),
    (
        "TY-CB-001",
        "产出指标",
        "成本指标",
        "",
        "项目支出控制在预算以内",
        "≤",
        "100",
        "%",
        "项目实际支出 / 项目预算 × 100%。",
        _COST,
    ),
    (
        "TY-CX-001",
        "效益指标",
        "可持续影响指标",
        "",
        "长效管理机制",
        "定性",
        "建立并有效运行",
        "",
        "项目形成的制度、机制能否持续发挥作用。",
        _QUAL,
    ),
    (
        "TY-MY-001",
        "满意度指标",
        "服务对象满意度指标",
        "",
        "服务对象满意度",
        "≥",
        "90",
        "%",
        "对服务对象抽样调查中满意及基本满意的比例。",
        _SAT,
    ),
]
