"""`make load`: a deadline day at city scale under gunicorn on PostgreSQL, driven by locust.

Usage: python bench/load.py [--scale 1] [--users 24] [--time 60] [--page-users 8]
       [--page-time 12] [--max-requests 50000] [--port 8106] [--workers N] [--output FILE]
       [--no-output] [--json FILE]

1. Builds the bench's synthetic city (`bench/city.py`) in a database of its own on the
   PostgreSQL server of DATABASE_URL (`<name>load`, created if missing; LOAD_DATABASE_URL
   overrides), with clerks (one a unit, its forms back to 草稿) and reviewers (every 主管部门),
   each logged in once here (sessions in the database, as a browser's after its login).
2. Starts gunicorn from `deploy/gunicorn.conf.py` on 127.0.0.1:<port> and one Celery worker
   (queues prefixed `load-`, on CELERY_BROKER_URL), DEBUG off, the cache in Redis database 15
   of the broker's server (LOAD_CACHE_URL overrides), as a site's workers share one.
3. Runs locust headless (bench/locustfile.py), loopback only, bounded by time and requests:
   each page alone beside the authenticated-redirect floor (same users, same server, same run),
   then the deadline day (clerks saving and submitting, reviewers, an export), and prints per
   page req/s, p50/p95/p99 and errors; the section "make load" of bench/RESULTS.md is replaced
   (the rest of the file is `make bench`'s).
4. Stops the server and the worker.

About 4 minutes at the defaults on a 2-core machine (the city build is most of the rest).
"""

import argparse
import csv
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BEGIN = "<!-- make load: begin (written by bench/load.py) -->"
END = "<!-- make load: end -->"
PAGES = [
    ("FloorOnly", "authenticated redirect (floor)"),
    ("HomeOnly", "clerk home"),
    ("FormOnly", "self-evaluation form"),
    ("QueueOnly", "审核工作台"),
    ("DashboardOnly", "绩效看板"),
]


def load_database_url() -> str:
    """LOAD_DATABASE_URL, else `<name>load` on DATABASE_URL's PostgreSQL server (created)."""
    if os.environ.get("LOAD_DATABASE_URL"):
        return os.environ["LOAD_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit("make load needs PostgreSQL: set DATABASE_URL=postgres://… (or LOAD_DATABASE_URL)")
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.strip("/") or "jxzp") + "load"
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def server_environment(database_url: str, port: int, workers: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        DJANGO_ENV="development",  # plain HTTP on loopback: no HTTPS redirect
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECRET_KEY=env.get("LOAD_SECRET_KEY") or secrets.token_urlsafe(40),
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_QUEUE_PREFIX="load-",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="/dev/null",  # a line a request would cost the run itself
        LOG_LEVEL="ERROR",
    )
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    # the cache shared by the server's workers, as deployed (deploy/jxzp.env.example): the page
    # parts cached under the data generation and the login counters (LOAD_CACHE_URL overrides)
    broker = urlsplit(env["CELERY_BROKER_URL"])
    env["CACHE_URL"] = env.get("LOAD_CACHE_URL") or urlunsplit(broker._replace(path="/15"))
    env.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / f"jxzp-load-media-{port}"))
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def prepare(scale: float, sessions: int) -> tuple[dict, str]:
    """The city, its users and their sessions: the plan locust reads."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from bench.city import YEAR, build_city
    from budgets.models import Department, Membership
    from evaluations.models import FormState, SelfEvaluation
    from evaluations.services import year_recompute

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    city = build_city(scale)
    # the totals, grades and flags the pages show (the city is built without them)
    year_recompute(fiscal_year=city.year)
    built = time.perf_counter() - started
    users = get_user_model().objects
    units = list(Department.objects.filter(code__startswith="B", parent__isnull=False))
    bureaus = list(Department.objects.filter(code__startswith="B", parent__isnull=True))
    client = Client()

    def session(user) -> str:
        client.force_login(user)
        value = client.cookies["sessionid"].value
        client.cookies.clear()
        return value

    clerks = []
    for n in range(sessions):
        unit = units[n % len(units)]
        user, _ = users.get_or_create(username=f"load_clerk{n}")
        Membership.objects.get_or_create(user=user, department=unit, role="clerk")
        forms = SelfEvaluation.objects.filter(year=city.year, department=unit)
        if n < len(units):  # a unit's forms go back to 草稿 once, for its one clerk
            forms.update(state=FormState.DRAFT, submitted_at=None)
        clerks.append(
            {"session": session(user), "forms": sorted(forms.values_list("pk", flat=True))}
        )
    reviewers = []
    forms = list(
        SelfEvaluation.objects.filter(year=city.year)
        .exclude(state=FormState.DRAFT)
        .values_list("pk", flat=True)[:500]
    )
    for n in range(max(2, sessions // 2)):
        user, _ = users.get_or_create(username=f"load_reviewer{n}")
        Membership.objects.bulk_create(
            [Membership(user=user, department=b, role="reviewer") for b in bureaus],
            ignore_conflicts=True,
        )
        reviewers.append(
            {
                "session": session(user),
                "forms": forms,
                "departments": [u.pk for u in units[:20]],
            }
        )
    summary = (
        f"{city.departments} departments, {city.projects:,} projects, "
        f"{city.indicators:,} indicators (scale {scale:g}, built in {built:.0f} s)"
    )
    return {"year": YEAR, "clerks": clerks, "reviewers": reviewers}, summary


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # stopped as a group: gunicorn's and the worker's children too
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {seconds:.0f} s")


def locust(
    classes: list[str],
    *,
    host: str,
    users: int,
    seconds: float,
    max_requests: int,
    env: dict,
    workdir: Path,
    tag: str,
) -> dict[str, dict]:
    """One headless locust run; its stats per request name (from locust's CSV)."""
    prefix = workdir / tag
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{max(1, round(seconds))}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
        *classes,
    ]
    env = env | {"LOAD_MAX_REQUESTS": str(max_requests)}
    log = workdir / f"{tag}.log"
    run = subprocess.run(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(f"locust failed ({run.returncode}):\n{log.read_text()[-3000:]}")
    with stats_file.open(encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Name"] in rows:
                    rows[row["Name"]].setdefault("errors", []).append(
                        f"{row['Occurrences']}× {row['Error'][:120]}"
                    )
    return rows


def figures(row: dict) -> dict:
    def number(key: str) -> float:
        try:
            return float(row.get(key) or 0)
        except ValueError:
            return 0.0

    return {
        "requests": int(number("Request Count")),
        "failures": int(number("Failure Count")),
        "rps": number("Requests/s"),
        "p50": number("50%"),
        "p95": number("95%"),
        "p99": number("99%"),
        "size": number("Average Content Size"),
        "errors": row.get("errors", []),
    }


def warm_up(host: str, plan: dict, requests: int) -> None:
    """Each gunicorn worker's first request loads templates and code: not measured."""
    year = plan["year"]
    paths = [
        (plan["clerks"][0]["session"], f"/?year={year}"),
        (plan["clerks"][0]["session"], f"/evaluations/{plan['clerks'][0]['forms'][0]}/"),
        (plan["reviewers"][0]["session"], f"/review/?year={year}&kind=evaluation"),
        (plan["reviewers"][0]["session"], f"/dashboard/?year={year}"),
    ]
    for _ in range(requests):
        for session, path in paths:
            request = urllib.request.Request(
                host + path, headers={"Cookie": f"sessionid={session}"}
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()


def run(
    *,
    scale: float,
    users: int,
    seconds: float,
    page_users: int,
    page_seconds: float,
    max_requests: int,
    port: int,
    workers: int | None,
    output: Path | None,
    figures_file: Path | None = None,
) -> str:
    database_url = load_database_url()
    env = server_environment(database_url, port, workers)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS")})
    os.environ.update(DEBUG="0", CELERY_TASK_ALWAYS_EAGER="1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    plan, city = prepare(scale, max(users, page_users))
    connection.close()
    workdir = Path(tempfile.mkdtemp(prefix="jxzp-load-"))
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    env["LOAD_PLAN"] = str(plan_file)
    host = f"http://127.0.0.1:{port}"
    web_log, worker_log = workdir / "gunicorn.log", workdir / "worker.log"
    web = start(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env,
        web_log,
    )
    worker = start(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1"]
        + ["-Q", "load-exports,load-default,load-imports", "-n", f"load{port}@%h"]
        + ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env,
        worker_log,
    )
    try:
        wait_until_up(host, web, web_log)
        warm_up(host, plan, 3)
        load = os.getloadavg()
        pages = {}
        for cls, name in PAGES:
            stats = locust(
                [cls],
                host=host,
                users=page_users,
                seconds=page_seconds,
                max_requests=max_requests,
                env=env,
                workdir=workdir,
                tag=cls,
            )
            pages[name] = figures(stats.get(name, {}))
        day = locust(
            ["Clerk", "Reviewer", "Exporter"],
            host=host,
            users=users,
            seconds=seconds,
            max_requests=max_requests,
            env=env,
            workdir=workdir,
            tag="day",
        )
        load_after = os.getloadavg()
        memory = {"web": group_memory(web.pid), "worker": group_memory(worker.pid)}
    finally:
        stop(web)
        stop(worker)
    workers_used = env.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
    text = report(
        city=city,
        pages=pages,
        day={name: figures(row) for name, row in day.items() if name != "Aggregated"},
        total=figures(day.get("Aggregated", {})),
        header=dict(
            users=users,
            seconds=seconds,
            page_users=page_users,
            page_seconds=page_seconds,
            workers=workers_used,
            load=(load, load_after),
            memory=memory,
            database=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        ),
    )
    print(text)
    if output is not None:
        write_section(output, text)
    if figures_file is not None:
        day_figures = {name: figures(row) for name, row in day.items()}
        figures_file.write_text(json.dumps({"pages": pages, "day": day_figures}, indent=1))
    return text


def group_memory(pgid: int) -> list[int]:
    """Resident memory (MB) of each process of a process group (the server and its workers,
    the Celery worker and its children), read from /proc; empty where there is none."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # the process group, after state and parent
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) // 1024)
    return sorted(sizes)


def _memory_line(memory: dict) -> str:
    web, worker = memory.get("web") or [], memory.get("worker") or []
    if not web:
        return ""
    return (
        f"Memory at the end (resident): gunicorn {len(web)} processes, "
        f"{', '.join(map(str, web))} MB (the master and its workers); Celery worker "
        f"{', '.join(map(str, worker)) or '—'} MB.\n\n"
    )


def report(*, city: str, pages: dict, day: dict, total: dict, header: dict) -> str:
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    (l1, _, _), (l2, _, _) = header["load"]
    lines = [
        "## make load",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} · commit {commit} · {platform.machine()} "
        f"{os.cpu_count()} cores · Python {platform.python_version()} · {header['database']} · "
        f"gunicorn {header['workers']} workers (deploy/gunicorn.conf.py) · 1 Celery worker · "
        f"load average {l1:.1f} before, {l2:.1f} after (other processes share the machine)",
        "",
        f"City: {city}. Locust (FastHttpUser) on the same machine, loopback.",
        "",
        *([_memory_line(header["memory"]).rstrip("\n"), ""] if header.get("memory") else []),
        f"**Each page alone**: {header['page_users']} users requesting it back to back for "
        f"{header['page_seconds']:g} s, one page after the other in the same run. "
        "Cost = the floor's req/s ÷ the page's (target ≤ 2×).",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | errors | HTML KB | cost vs floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floor = pages["authenticated redirect (floor)"]
    for name, f in pages.items():
        ratio = floor["rps"] / f["rps"] if f["rps"] else float("inf")
        lines.append(
            f"| {name} | {f['rps']:.1f} | {f['p50']:.0f} | {f['p95']:.0f} | {f['p99']:.0f} | "
            f"{f['failures']}/{f['requests']} | {f['size'] / 1024:.1f} | {ratio:.2f}× |"
        )
    lines += [
        "",
        f"**Deadline day**: {header['users']} users for {header['seconds']:g} s (clerks 3 : "
        "reviewers 2, think time 0.5–2 s, one reviewer exporting a department's tables as XLSX "
        "through the worker), the floor requested among them. p50 vs floor = the page's median ÷ "
        "the floor's median in this mix.",
        "",
        "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors | p50 vs floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floor_p50 = day.get("authenticated redirect (floor)", {}).get("p50") or 0
    for name, f in sorted(day.items()):
        ratio = f"{f['p50'] / floor_p50:.2f}×" if floor_p50 else "—"
        lines.append(
            f"| {name} | {f['requests']} | {f['rps']:.1f} | {f['p50']:.0f} | {f['p95']:.0f} | "
            f"{f['p99']:.0f} | {f['failures']} | {ratio} |"
        )
    lines.append(
        f"| all | {total.get('requests', 0)} | {total.get('rps', 0):.1f} | "
        f"{total.get('p50', 0):.0f} | {total.get('p95', 0):.0f} | {total.get('p99', 0):.0f} | "
        f"{total.get('failures', 0)} | |"
    )
    errors = [
        f"- {name}: {e}"
        for name, f in list(pages.items()) + sorted(day.items())
        for e in f["errors"]
    ]
    if errors:
        lines += ["", "Errors:", *errors]
    return "\n".join(lines) + "\n"


def write_section(output: Path, text: str) -> None:
    """Replace this script's section of the file (between its markers), or append it."""
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    section = f"{BEGIN}\n{text}{END}\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + section + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + section
    output.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="city size (1: 300 departments)")
    parser.add_argument("--users", type=int, default=24, help="users of the deadline day")
    parser.add_argument("--time", type=float, default=60, help="seconds of the deadline day")
    parser.add_argument("--page-users", type=int, default=8, help="users on each page alone")
    parser.add_argument("--page-time", type=float, default=12, help="seconds on each page alone")
    parser.add_argument("--max-requests", type=int, default=50000, help="bound of each run")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOAD_PORT", 8106)))
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--no-output", action="store_true", help="print only")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    return run(
        scale=args.scale,
        users=args.users,
        seconds=args.time,
        page_users=args.page_users,
        page_seconds=args.page_time,
        max_requests=args.max_requests,
        port=args.port,
        workers=args.workers,
        output=None if args.no_output else Path(args.output),
        figures_file=Path(args.json) if args.json else None,
    )


if __name__ == "__main__":
    main()
