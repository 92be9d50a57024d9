# DocRecon — two commands from a fresh Debian 12 machine:
#   make demo   runs the whole pipeline on Samples/ into ./demo-out
#   make test   runs the test suite
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
DEB_PACKAGES := libtesseract-dev libleptonica-dev libpoppler-glib-dev libcairo2-dev libsqlite3-dev \
                libxlsxwriter-dev zlib1g-dev libisal-dev tesseract-ocr-eng tesseract-ocr-osd pkg-config python3-openpyxl time bc \
                fonts-dejavu-core libreoffice-calc-nogui zip unzip \
                libcurl4-openssl-dev openssh-server openssh-client python3-aiosmtpd systemd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_TESSDATA := $(firstword $(wildcard /usr/share/tesseract-ocr/5/tessdata /usr/share/tesseract-ocr/4.00/tessdata /usr/share/tessdata))
BIN = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path)/docrecon

.PHONY: deps tessdata build release demo test eval bench-ocr bench-recon bench-match clean

# Installs the Debian packages only when one is missing (dpkg-query is cheap; apt-get is not).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(MAKE) -s tessdata

# Links the installed eng and osd models into tessdata/ (the models stay out of git).
tessdata:
	@for m in eng osd; do \
	  if [ ! -e tessdata/$$m.traineddata ]; then \
	    if [ -n "$(SYSTEM_TESSDATA)" ] && [ -e "$(SYSTEM_TESSDATA)/$$m.traineddata" ]; then \
	      ln -sf "$(SYSTEM_TESSDATA)/$$m.traineddata" tessdata/$$m.traineddata; \
	    else echo "make tessdata: $$m.traineddata not found; install tesseract-ocr-$$m"; exit 1; fi; \
	  fi; \
	done

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: deps
	$(SWIFT) build -c release
	rm -rf demo-out
	$$($(SWIFT) build -c release --show-bin-path)/docrecon demo

eval: deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/docrecon --db demo-out/eval.sqlite eval Samples

# DOCRECON_TODAY pins "today" (the committed samples are dated 2026) so the suite answers the same
# in any year.
test: deps
	$(SWIFT) build
	OMP_THREAD_LIMIT=1 DOCRECON_TODAY=2026-11-23 DOCRECON_BIN="$$($(SWIFT) build --show-bin-path)/docrecon" $(SWIFT) test

bench-ocr: deps
	bench/ocr/run.sh

bench-match: deps
	bench/match/run.sh

bench-recon: deps
	bench/recon/run.sh

clean:
	rm -rf .build demo-out
