"""`make bench` keeps working: the benchmark at 1/50 scale. Asserts query counts, never times."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_bench_runs_at_one_fiftieth_scale():
    from bench.run import main

    text = main(scale=0.02, output=None)
    counts = re.findall(r"queries: (\d+) small, (\d+) at city scale", text)
    assert len(counts) == 4  # clerk home, form, review queue, dashboard
    assert all(small == large for small, large in counts), text
    assert "10 departments, 100 projects, 1,500 indicators" in text
    assert "open 2032 from 2031 (open_year --from)" in text
    assert "100 projects, 100 target sheets, 1,500 indicators copied" in text
    assert "import 2,000 indicator rows" in text and "× the floor (target ≤ 1.2×)" in text
    assert "admin import (系统管理 → 三级指标 → 导入) of the same 2,000 rows" in text
    assert "× the engine (target ≤ 1.2×)" in text
    assert "export every 绩效目标执行监控表 as XLSX (ZIP)" in text
    assert "100 sheets" in text  # a 监控表 per approved project target (the city's 100)
    assert re.search(r"bulk approval of 100 target sheets .*\| 100 approved", text), text


def test_each_database_writes_its_own_section_of_the_results(tmp_path):
    from bench.run import write_section

    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\n<!-- make load -->\nload figures\n<!-- /make load -->\n")
    write_section(results, "postgresql", "## pg 1\n")
    write_section(results, "sqlite", "## sqlite 1\n")
    write_section(results, "postgresql", "## pg 2\n")
    text = results.read_text()
    assert "load figures" in text and "## sqlite 1" in text and "## pg 2" in text
    assert "## pg 1" not in text and text.count("<!-- make bench: postgresql -->") == 1


def test_the_bench_database_switch(monkeypatch):
    from bench.run import ROOT, bench_database_url

    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:1/app")
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    assert bench_database_url("sqlite") == f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite3")
    assert bench_database_url("auto").endswith("bench.sqlite3")
    with pytest.raises(SystemExit):
        bench_database_url("postgres")
