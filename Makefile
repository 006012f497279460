# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DB     ?= sitrep.duckdb

.PHONY: demo test setup clean bench browser

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test,ray]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f $(DB) $(DB).wal
	$(VENV)/bin/sitrep ingest examples/corpus --db $(DB); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 3 ] || exit $$rc
	$(VENV)/bin/sitrep stats --db $(DB)
	$(VENV)/bin/sitrep articles --db $(DB) --limit 10
	$(VENV)/bin/sitrep entities --db $(DB) --top 15
	$(VENV)/bin/sitrep events --db $(DB) --limit 15 --most-reported
	$(VENV)/bin/sitrep stories --db $(DB) --limit 10
	$(VENV)/bin/sitrep timeline --db $(DB) --max-dates 6 --per-date 1
	$(VENV)/bin/sitrep brief --db $(DB) -o brief.html

test: $(STAMP) browser
	$(PY) -m pytest -q -p no:cacheprovider

# The browser tests drive Debian's Chromium: install it where we can (root with apt-get), else they skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	      >/dev/null 2>&1 || echo "could not install chromium with apt-get: the browser tests will skip"; \
	  else echo "no chromium, and no root to install it: the browser tests will skip"; fi; }

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test,bench,ray]'
	$(PY) bench/extraction.py
	$(PY) bench/ingest.py
	$(PY) bench/nlp.py --workers 1
	$(PY) bench/nlp.py --workers 2
	$(PY) bench/entities.py
	$(PY) bench/accuracy.py --workers 2
	$(PY) bench/timelines.py
	$(PY) bench/fusion.py
	$(PY) bench/blas.py
	$(PY) bench/throughput.py
	$(PY) bench/scale.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal brief.html build src/*.egg-info
