# Two commands: `make run` and `make test`. Everything else is set up by them.
# Python 3.11 (or newer); python3 is used when there is no python3.11 on the PATH.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: run test lint catalogs catalogs-update migrate clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
		|| { echo "Python 3.11 or newer is needed (found: $(PYTHON))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

catalogs: $(STAMP)
	@for po in locales/*/LC_MESSAGES/messages.po; do \
		$(BIN)/pybabel compile --use-fuzzy -i $$po -o $${po%.po}.mo 2>/dev/null || exit 1; \
	done

migrate: catalogs
	@$(BIN)/lotsenbot migrate

run: migrate
	@$(BIN)/lotsenbot run

test: catalogs
	@$(BIN)/ruff check bot handlers migrations tests bench
	@$(BIN)/python -m pytest

# For developers: refresh the template and merge new message ids into both catalogs.
catalogs-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
		--omit-header -o locales/messages.pot bot handlers
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap \
		--ignore-obsolete

lint: $(STAMP)
	$(BIN)/ruff check bot handlers migrations tests bench
	$(BIN)/ruff format --check bot handlers migrations tests bench

clean:
	rm -rf $(VENV) var *.egg-info
	find locales -name '*.mo' -delete
