# The two set-up commands of the README: `make run` and `make test`. Both idempotent. Both first
# install the Debian packages the product needs when missing and run as root, else print the
# apt-get command (scripts/system-packages.sh; the tests needing a missing one skip, naming it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: install system-packages run serve test lint format bench bench-small load demo clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

system-packages:
	@scripts/system-packages.sh

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

run: system-packages demo
	@echo "打开 http://127.0.0.1:8000 ，使用上面列出的演示账号登录。"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: system-packages install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

# a deadline day under gunicorn on PostgreSQL (DATABASE_URL, CELERY_BROKER_URL): bench/load.py;
# options through LOAD_ARGS, e.g. make load LOAD_ARGS="--scale 0.2 --users 12 --time 30"
load: install
	$(BIN)/python bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
