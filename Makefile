# Dialtone — build, test and demo entry points.
# `make demo` and `make test` install what is missing on Debian 12, build, and run.
SHELL := /bin/bash
SWIFT ?= swift
DEBS := libpri-dev libspandsp-dev libtiff-dev libasound2-dev libsqlite3-dev tshark
DAHDI_INC := CShims/CDAHDI/include/dahdi
DEMO_SECONDS ?= 0
CONFIG ?= config/dialtone.yaml
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND=noninteractive

.PHONY: all deps build demo test bench check-config clean install

all: build

# Installs missing Debian packages (quiet when all are present) and extracts the
# DAHDI user-space header from Debian's dahdi-dkms package without building a module.
deps: $(DAHDI_INC)/user.h
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

$(DAHDI_INC)/user.h:
	@echo "extracting dahdi/user.h from Debian's dahdi-dkms"
	@set -e; tmp=$$(mktemp -d); cd $$tmp; \
	  (apt-get download dahdi-dkms >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && apt-get download dahdi-dkms >/dev/null 2>&1; }); \
	  dpkg-deb -x dahdi-dkms_*.deb x; cd - >/dev/null; \
	  mkdir -p $(DAHDI_INC); \
	  cp $$tmp/x/usr/src/dahdi-*/include/dahdi/user.h $$tmp/x/usr/src/dahdi-*/include/dahdi/dahdi_config.h $(DAHDI_INC)/; \
	  rm -rf $$tmp

build: deps
	$(SWIFT) build

demo: deps
	$(SWIFT) build -c release --product dialtone
	DEMO_SECONDS=$(DEMO_SECONDS) .build/release/dialtone serve --config $(CONFIG) --demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}
	.build/debug/dialtone check-config $(CONFIG)
	./Tests/cli/check-config-errors.sh .build/debug/dialtone
	./Tests/cli/pcap-decodes.sh .build/debug/dialtone

check-config: build
	.build/debug/dialtone check-config $(CONFIG)

clean:
	rm -rf .build
