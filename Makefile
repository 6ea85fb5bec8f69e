# Dialtone — build, test and demo entry points.
# `make demo` and `make test` install what is missing on Debian 12, build, and run.
SHELL := /bin/bash
SWIFT ?= swift
DEBS := libpri-dev libspandsp-dev libtiff-dev libasound2-dev libsqlite3-dev sqlite3 tshark espeak-ng sox ghostscript libtiff-tools libcrypt-dev
DAHDI_INC := CShims/CDAHDI/include/dahdi
CONFIG ?= config/dialtone.yaml
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND=noninteractive

.PHONY: all deps prompts talkoff build demo test bench test-hardware loopback check-config clean install

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

# The default English prompt set, spoken from prompts/en.txt (not committed as audio).
prompts: deps
	./scripts/make-prompts.sh

# The DTMF talk-off corpus's speech, spoken from Tests/talkoff/speech.txt into
# .build/talkoff (not committed as audio); the music is made in Swift when played.
talkoff: deps
	./scripts/make-talkoff.sh

build: deps prompts
	$(SWIFT) build

demo: deps prompts
	$(SWIFT) build -c release --product dialtone
	.build/release/dialtone serve --config $(CONFIG) --demo

loopback: build
	.build/debug/dialtone loopback --config $(CONFIG)

test: deps prompts talkoff
	$(SWIFT) build --build-tests
	./Tests/cli/check-config-errors.sh .build/debug/dialtone
	./Tests/cli/pcap-decodes.sh .build/debug/dialtone
	./Tests/cli/socket-peer.sh .build/debug/dialtone
	./Tests/cli/recording-crash.sh .build/debug/dialtone
	./Tests/cli/store-faults.sh .build/debug/dialtone
	./Tests/cli/crash-recovery.sh .build/debug/dialtone
	./Tests/cli/control-abuse.sh .build/debug/dialtone
	./Tests/cli/lifecycle.sh .build/debug/dialtone
	./Tests/cli/call-control.sh .build/debug/dialtone
	./Tests/cli/digits.sh .build/debug/dialtone
	./Tests/cli/customers.sh .build/debug/dialtone
	./Tests/cli/fax-jobs.sh .build/debug/dialtone
	./Tests/cli/acd.sh .build/debug/dialtone
	./Tests/cli/fax.sh .build/debug/dialtone
	./Tests/cli/voicemail-crash.sh .build/debug/dialtone
	./Tests/cli/config-fuzz.sh .build/debug/dialtone
	./Tests/cli/sigfloor.sh
	./Tests/hardware/run.sh .build/debug/dialtone t1 e1
	$(SWIFT) test --skip-build

# Figures, not pass/fail: the idle daemon's CPU share (the $(CONFIG) daemon with
# its D-channels up and no call, goal < 0.5 % of a core); media engine capacity:
# channels sustained in real time with DTMF + bridging + recording on every
# channel, and the ratio to a C floor; signalling: calls per second end to end
# on virtual spans (SETUP to CDR committed, SIG_CALLS in flight), SETUP→CONNECT
# p50/p99 and CPU per call, and the ratio to bare libpri in C (goal ≥ 0.5).
# docs/bench.md says what each figure counts. SIG_DIR: where the benchmark's
# SQLite file goes (default: a temporary directory).
BENCH_SECONDS ?= 60
IDLE_SECONDS ?= 10
SIG_SECONDS ?= 8
SIG_CALLS ?= 60
SIG_DIR ?=
bench: deps prompts talkoff
	$(SWIFT) build -c release --product dialtone
	cc -O2 -o .build/bench-floor bench/floor.c -lspandsp -ltiff -lm
	cc -O2 -o .build/bench-sigfloor bench/sigfloor.c -lpri
	cc -O2 -o .build/bench-faxfloor bench/faxfloor.c -lspandsp -ltiff -lm
	.build/release/dialtone bench --seconds $(BENCH_SECONDS) --floor .build/bench-floor --config $(CONFIG) --idle-seconds $(IDLE_SECONDS) \
	  --sig-seconds $(SIG_SECONDS) --sig-calls $(SIG_CALLS) --sig-floor .build/bench-sigfloor --fax-floor .build/bench-faxfloor $(if $(SIG_DIR),--sig-directory $(SIG_DIR))

# The real DAHDI driver with looped dynamic spans in a QEMU VM (T1 and E1).
test-hardware: deps
	$(SWIFT) build --product dialtone
	./Tests/hardware/run.sh .build/debug/dialtone t1 e1

check-config: build
	.build/debug/dialtone check-config $(CONFIG)

PREFIX ?= /usr/local
install: deps
	$(SWIFT) build -c release --product dialtone
	install -D -m 0755 .build/release/dialtone $(DESTDIR)$(PREFIX)/bin/dialtone
	install -D -m 0644 udev/60-dialtone.rules $(DESTDIR)/etc/udev/rules.d/60-dialtone.rules
	install -D -m 0644 udev/dialtone.service $(DESTDIR)/etc/systemd/system/dialtone.service
	@# The shipped config with the daemon's paths made absolute for the system service.
	[ -f $(DESTDIR)/etc/dialtone/dialtone.yaml ] || { mkdir -p $(DESTDIR)/etc/dialtone; \
	  sed -e 's|control_socket: var/run/control.sock|control_socket: /run/dialtone/control.sock|' \
	      -e 's|database: var/dialtone.sqlite|database: /var/lib/dialtone/dialtone.sqlite|' \
	      $(CONFIG) > $(DESTDIR)/etc/dialtone/dialtone.yaml; chmod 0640 $(DESTDIR)/etc/dialtone/dialtone.yaml; }
	@# The unprivileged user and group the udev rules and the unit name (not when staging into DESTDIR).
	if [ -z "$(DESTDIR)" ]; then \
	  getent group dialtone >/dev/null || $(SUDO) groupadd --system dialtone; \
	  id dialtone >/dev/null 2>&1 || $(SUDO) useradd --system -g dialtone -d /var/lib/dialtone -s /usr/sbin/nologin dialtone; \
	  $(SUDO) chgrp dialtone /etc/dialtone/dialtone.yaml; \
	  $(SUDO) udevadm control --reload 2>/dev/null || true; \
	fi

clean:
	rm -rf .build
