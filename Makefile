# Qadam: the two commands are `make run` and `make test`. Everything else is a step of theirs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
DEMO_ENV := QADAM_DEMO=1 QADAM_OUTBOUND_ALLOW_LOOPBACK=1 QADAM_BASE_URL=$${QADAM_BASE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test install translations lint system-packages bench bench-national clean

## make run: set up and run Qadam with the demo platform on SQLite (http://127.0.0.1:5000/demo)
run: install translations
	$(DEMO_ENV) $(BIN)/flask --app app db upgrade
	$(DEMO_ENV) $(BIN)/flask --app app demo seed
	$(DEMO_ENV) $(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

## make test: set up and run every check: lint, types, architecture, the content check, short
## benchmark runs, the suite on SQLite (with the browser tests) and again on a PostgreSQL server
## it starts itself.
test: install translations system-packages lint
	$(BIN)/flask --app app content check
	$(BIN)/python -m tests.bench.launch_throughput --quick
	$(BIN)/python -m tests.bench.quiz_throughput --quick
	$(BIN)/python -m tests.bench.survey_throughput --quick
	$(BIN)/python -m tests.bench.results_throughput --quick
	$(BIN)/python -m tests.bench.national_aggregation --quick
	$(BIN)/pytest -p no:cacheprovider
	$(BIN)/pytest -p no:cacheprovider --db=postgresql -m "not browser"

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Python's venv module is missing: sudo apt-get install python3-venv"; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

translations: install
	$(BIN)/pybabel compile -d app/translations >/dev/null

## Debian packages the tests need: a PostgreSQL server, Chromium for the browser tests and the
## DejaVu Sans font of the PDF reports.
system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	  else echo "Install these Debian packages first: sudo apt-get install$$missing"; exit 1; fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## make bench: the launch, quiz, survey and results benchmarks, full length
bench: install translations
	$(BIN)/python -m tests.bench.launch_throughput
	$(BIN)/python -m tests.bench.quiz_throughput
	$(BIN)/python -m tests.bench.survey_throughput
	$(BIN)/python -m tests.bench.results_throughput

## make bench-national: the area aggregation of 3.5 million responses (7,000 schools, 140,000
## classes) on a PostgreSQL server it starts, next to a plain GROUP BY count; about 15 minutes
bench-national: install translations system-packages
	$(BIN)/python -m tests.bench.national_aggregation

## Extract UI strings and update the kk, ru and en catalogs (then translate the new entries)
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header --sort-output -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --width 76

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
	find app/translations -name '*.mo' -delete
