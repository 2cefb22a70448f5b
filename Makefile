# delimit — fresh-machine contract: `make run` and `make test` are all a new user needs.
# Debian packages the build and the tests need. Checked with dpkg -s, installed only when missing.
APT_PKGS := libgdal-dev libproj-dev libclang-dev libsqlite3-dev pkg-config gdal-bin proj-bin sqlite3
CARGO    ?= cargo
# Root installs directly; anyone else goes through sudo.
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps build run test lint bench clean plugin

# What the tests compare against or open the outputs with: a real QGIS
# (PyQGIS, headless) for the project, a real browser for the report, and
# PostgreSQL + PostGIS for `-o PG:` (tests/postgis/cluster.sh starts a
# throwaway server on loopback for the test and stops it after), and
# poppler-utils (pdftotext) to read the printed report page by page.
TEST_PKGS := python3-qgis python3-pip chromium fonts-dejavu-core postgresql postgresql-15-postgis-3 poppler-utils

# $(call apt_ensure,PACKAGES): install those of PACKAGES that are missing.
define apt_ensure
	@missing=""; \
	for p in $(1); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "Debian packages present: $(1)"; \
	fi
endef

deps:
	$(call apt_ensure,$(APT_PKGS))

# Python peers for the tests, from PyPI with pinned hashes, into
# target/peers: shapely >= 2.1 (GEOS CoverageValidator, tests/coverage.rs;
# Debian's shapely is 1.8) and pyproj (tests/corridor.rs). Reinstalled
# whenever tests/peers/requirements.txt changes.
PEERS := target/peers

test-deps:
	$(call apt_ensure,$(TEST_PKGS))
	@if cmp -s tests/peers/requirements.txt $(PEERS)/.requirements; then \
	  echo "Python peers present in $(PEERS)"; \
	else \
	  echo "installing Python peers into $(PEERS)"; \
	  rm -rf $(PEERS) && \
	  /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
	    --only-binary=:all: --require-hashes -r tests/peers/requirements.txt --target $(PEERS) && \
	  cp tests/peers/requirements.txt $(PEERS)/.requirements; \
	fi

build: deps
	$(CARGO) build --release --locked

# The main job on the bundled data: every area legally of one party and held
# by another, from the embedded sample (data/); see data/SOURCES.md.
run: build
	./target/release/delimit gaps

# The QGIS Processing plugin as an installable zip (QGIS: Plugins > Manage
# and Install Plugins > Install from ZIP), with help per algorithm from the
# binary it was built with; see qgis-plugin/README.md.
plugin: build
	$(call apt_ensure,python3)
	/usr/bin/python3 qgis-plugin/build.py target/release/delimit target/delimit_processing.zip

# Formatting and lints first: they fail in seconds, the suite in minutes.
lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test: deps test-deps lint
	$(CARGO) test --locked --all-targets
	$(CARGO) test --locked --doc

clean:
	$(CARGO) clean
