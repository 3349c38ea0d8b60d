# Two commands: `make run` and `make test`. Everything else is set up by them.
# Python 3.11 (or newer); python3 is used when there is no python3.11 on the PATH.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# What running needs (`make run`), and that plus the test tools (`make test`, `make lint`).
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# `make test` installs the test extras in the same single pip run as everything else.
INSTALLED := $(if $(filter test lint,$(MAKECMDGOALS)),$(TEST_STAMP),$(RUN_STAMP))
# Errors only: setuptools' editable-install notice is for package authors, not for whoever
# starts the bot, and the one line printed before installing says what is going on.
PIP_INSTALL := $(BIN)/python -m pip install -qq --disable-pip-version-check
CONFIG ?= config.toml

.PHONY: run test lint catalogs catalogs-update untranslated migrate clean bench provision docs-images

FIRST_INSTALL := Installing Lotsenbot and its dependencies, about 3 minutes …
UPDATING := Updating Lotsenbot's dependencies …
ADDING_TESTS := Installing the test tools: about 2 minutes …
# Stock Debian and Ubuntu ship Python without its venv module (a separate package).
NO_VENV := Python cannot make a virtual environment here: install python3-venv first (sudo apt install python3-venv)

# $(1): what to install; $(2): the line shown when .venv already exists.
define install
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
		|| { echo "Python 3.11 or newer is needed (found: $(PYTHON))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null \
		|| { echo "$(NO_VENV)"; exit 1; }
	@echo "$(if $(wildcard $(BIN)/python),$(2),$(FIRST_INSTALL))"
	@test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(PIP_INSTALL) --upgrade pip; }
	@$(PIP_INSTALL) -e '$(1)'
endef

$(RUN_STAMP): pyproject.toml
	$(call install,.,$(UPDATING))
	@touch $@

# The test extras include everything running needs, so the run stamp is current too.
$(TEST_STAMP): pyproject.toml
	$(call install,.[test],$(if $(wildcard $@),$(UPDATING),$(ADDING_TESTS)))
	@touch $@ $(RUN_STAMP)

catalogs: $(INSTALLED)
	@for po in locales/*/LC_MESSAGES/messages.po; do \
		$(BIN)/pybabel compile --use-fuzzy -i $$po -o $${po%.po}.mo 2>/dev/null || exit 1; \
	done

migrate: catalogs
	@$(BIN)/lotsenbot migrate

run: migrate
	@$(BIN)/lotsenbot run

# What the machine needs for the tests beyond Python (the PostgreSQL server, as root the
# OS user its test clusters run as, systemd-analyze for the unit's check, Chromium for the
# browser tests): installed here, never as a side effect of pytest.
# Standard library only; prints nothing when everything is there.
provision:
	@$(PYTHON) tests/servers/provision_postgres.py

# The benchmarks' own extras (aiogram for a baseline, py-spy); then `.venv/bin/python bench/…`.
bench: $(TEST_STAMP) catalogs
	@$(PIP_INSTALL) -e '.[test,bench]'

# Two workers, whole files each (module fixtures such as a test file's browser stay whole).
TEST_WORKERS ?= 2

test: $(TEST_STAMP) catalogs provision
	@$(BIN)/ruff check bot handlers migrations tests bench web setup.py
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# For developers: refresh the template and merge new message ids into both catalogs.
catalogs-update: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
		--omit-header -o locales/messages.pot bot handlers web
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap \
		--ignore-obsolete

# Which messages still need a translation, per language (empty msgstr or fuzzy).
untranslated:
	@$(BIN)/python tools/untranslated.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check bot handlers migrations tests bench web setup.py
	$(BIN)/ruff format --check bot handlers migrations tests bench web setup.py

# The README's pictures of the printed documents, from the documents' tests, and of the
# web pages, from the browser tests' screenshots (tools/docs_images.py).
docs-images: $(TEST_STAMP) catalogs
	$(BIN)/python -m pytest -q -p no:randomly tests/unit/test_documents.py
	$(BIN)/python -m tests.pdfs
	$(BIN)/python -m pytest -q -p no:randomly tests/browser
	$(BIN)/python tools/docs_images.py

clean:
	rm -rf $(VENV) var build dist *.egg-info
	find locales -name '*.mo' -delete
