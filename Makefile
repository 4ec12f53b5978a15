# Makefile - every entry point: build, run, test, bench, deps.
# Guest code is freestanding i386 C built with the system GCC; host code is
# Python run with Debian's /usr/bin/python3 (its packages live there).

# Every rule is written here: make's built-in implicit rules, tried for
# every file, made an up-to-date `make` (which each campaign runs first)
# take 90 ms instead of 35
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

PYTHON    ?= /usr/bin/python3
CC        := gcc
LD        := ld
FAULTINJ  ?= 1
COVERAGE  ?= 0
# AUTOSITES=0: hand-placed fault hooks only, no automatic basic-block sites
# (bench/fi_overhead.py compares the two)
AUTOSITES ?= 1
# The build directory is named after what changes the code: build/ (hooks,
# no coverage), build-nofi/ (FAULTINJ=0), build-cov/ (COVERAGE=1),
# build-cov-nofi/. So `make FAULTINJ=0` after `make` builds afresh, without
# hooks, instead of finding build/'s objects up to date.
BUILD     ?= build$(if $(filter 1,$(COVERAGE)),-cov)$(if $(filter 0,$(FAULTINJ)),-nofi)$(if $(filter 0,$(AUTOSITES)),-noauto)
# Every build variant's directory, for make clean.
BUILD_DIRS := build build-nofi build-cov build-cov-nofi build-noauto
LIBGCC    := $(shell $(CC) -m32 -print-libgcc-file-name)
LDFLAGS   := -m elf_i386 --no-warn-rwx-segments

CFLAGS_COMMON := -m32 -std=c11 -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -nostdlib -g \
	-Wall -Wextra -Werror -DFAULTINJ=$(FAULTINJ) -DCOVERAGE=$(COVERAGE)
# EXTRA_CFLAGS: more flags for a variant built into a BUILD dir of its own
# (tests build one with a function inserted in every file, and one with RS
# deliberately broken: -DRS_TEST_FORGET_STATE, os/servers/rs/lifecycle.c).
# A directory keeps the ones it was built with (its build-flags, below):
# made again without them, as the campaign engine and the tests' fixtures
# do before every run, it would silently turn into the plain build under
# the variant's name. `EXTRA_CFLAGS=` on the command line drops them.
EXTRA_CFLAGS ?= $(shell sed -n 's/.* EXTRA_CFLAGS=//p' $(BUILD)/build-flags 2>/dev/null)
CFLAGS_COMMON += $(EXTRA_CFLAGS)
ifeq ($(COVERAGE),1)
# GCC 12 freestanding gcov: counters found through .gcov_info; -O0 keeps
# every line's count; one CPU and a kernel that is never re-entered make
# plain (single) counter updates exact. The dump code is not instrumented.
CFLAGS_COMMON += -O0
COV_CFLAGS := --coverage -fprofile-info-section -fprofile-update=single
LIBGCOV := $(shell $(CC) -m32 -print-file-name=libgcov.a)
NO_COV := os/lib/gcov/gcov_dump.c os/kernel/gcov.c os/kernel/warm.c
cov_flags = $(if $(filter $(NO_COV),$(1)),,$(COV_CFLAGS))
else
CFLAGS_COMMON += -O2
LIBGCOV :=
cov_flags =
endif
# Automatic fault sites (issue 12): with fault injection, the GCC plugin
# os/plugin/fi_blocks.cc (built here for this very compiler) records the
# start of every basic block of the kernel, libsys, SEF and every server in
# the ELF section .fi_blocks, and emits no instruction: a disarmed site
# costs nothing. The kernel arms a site with an int3 (kernel/fi_auto.c).
# Not instrumented: the fault machinery itself, and the kernel code its
# trap handler runs through (printing, events, traps).
PLUGIN := $(BUILD)/fi_blocks.so
ifeq ($(FAULTINJ)$(AUTOSITES),11)
AUTO_CFLAGS := -fplugin=$(PLUGIN)
AUTO_DEP := $(PLUGIN)
AUTO_KERNEL_SKIP := os/kernel/fi.c os/kernel/fi_auto.c os/kernel/fi_hwbp.c os/kernel/fi_quiet.c os/kernel/gcov.c os/kernel/kprintf.c \
	os/kernel/serial.c os/kernel/conring.c os/kernel/event.c os/kernel/evcheck.c os/kernel/trap.c os/kernel/lockup.c \
	os/kernel/contain.c os/kernel/kcheck.c os/kernel/sched_repair.c os/kernel/priv_audit.c os/kernel/alarm_audit.c os/kernel/main.c os/kernel/warm.c os/lib/common/format.c os/lib/libc/string.c os/lib/gcov/gcov_dump.c
auto_kflags = $(if $(filter $(AUTO_KERNEL_SKIP),$(1)),,$(AUTO_CFLAGS))
auto_uflags = $(if $(filter os/lib/libsys/% os/lib/sef/% os/servers/%,$(1)),$(AUTO_CFLAGS))
else
AUTO_DEP :=
auto_kflags =
auto_uflags =
endif
$(PLUGIN): os/plugin/fi_blocks.cc $(BUILD_STAMP)
	@mkdir -p $(@D)
	@echo CXX $<; g++ -shared -fPIC -fno-rtti -O2 -I$(shell $(CC) -print-file-name=plugin)/include $< -o $@
# the guest/host contract, generated from contract/guest_host.def
GEN := $(BUILD)/gen
CFLAGS_COMMON += -I$(GEN)
# -MMD -MP: each object gets a .d file naming the headers it includes, so
# touching a header rebuilds only the objects that include it
DEPFLAGS := -MMD -MP
KCFLAGS := $(CFLAGS_COMMON) -D__KERNEL_BUILD__ $(DEPFLAGS)
UCFLAGS := $(CFLAGS_COMMON) $(DEPFLAGS)
ASFLAGS := -m32 -g $(DEPFLAGS)

KERNEL_SRCS := $(wildcard os/kernel/*.c) os/lib/common/format.c os/lib/libc/string.c os/lib/gcov/gcov_dump.c
KERNEL_ASM  := os/kernel/boot.S os/kernel/trap.S os/kernel/warm_switch.S
LIB_SRCS    := $(wildcard os/lib/libc/*.c os/lib/libsys/*.c os/lib/sef/*.c os/lib/fi/*.c os/lib/gcov/*.c) os/lib/common/format.c
LIB_ASM     := os/lib/libc/crt0.S os/lib/libsys/ipc.S

# user programs: name -> sources
SERVERS  := rs ds vm pm mem tty kv echo
# later versions of kv (live-update tests): kv's service with their own saved layout
KV_VERSIONS := kv2 kv3
COMMANDS := init wl msgfuzz scenario
TESTPROGS := ktest peer victim lonely hostile forger dshog bomb rude crowd memhog deputy bss1m bss3m bss24m bss2g flood leak
PROGRAMS := $(SERVERS) $(KV_VERSIONS) $(COMMANDS) $(TESTPROGS)
$(foreach s,$(SERVERS),$(eval SRCS_$(s) := $(wildcard os/servers/$(s)/*.c)))
$(foreach v,$(KV_VERSIONS),$(eval SRCS_$(v) := os/servers/kv/main.c os/servers/kv/table.c os/servers/kv/window.c $(wildcard os/servers/$(v)/*.c)))
$(foreach c,$(COMMANDS),$(eval SRCS_$(c) := $(wildcard os/commands/$(c)/*.c)))
$(foreach t,$(TESTPROGS),$(eval SRCS_$(t) := os/tests/$(t).c))
SRCS_tty += os/commands/service/service.c
SRCS_scenario += os/commands/wl/client.c

KOBJS := $(patsubst %,$(BUILD)/k/%.o,$(KERNEL_SRCS) $(KERNEL_ASM)) $(BUILD)/k/contract_check.o \
	$(BUILD)/k/os/kernel/ipc.c.nofi.o
LOBJS := $(patsubst %,$(BUILD)/u/%.o,$(LIB_SRCS) $(LIB_ASM))
ELFS  := $(BUILD)/kernel.elf $(patsubst %,$(BUILD)/%.elf,$(PROGRAMS))
ALL_OBJS := $(sort $(KOBJS) $(LOBJS) $(foreach p,$(PROGRAMS),$(patsubst %,$(BUILD)/u/%.o,$(SRCS_$(p)))))

# The flags a build directory was built with. A build dir named with BUILD=
# may be reused with other flags: every object depends on this stamp, which
# is remade (and so rebuilds everything) only when the flags differ from
# the ones it holds. DEPS=1 marks objects built with .d files (older ones
# had none, so they are rebuilt once). Nothing is written while the
# Makefile is read: make -n shows the rebuild and changes nothing.
.DEFAULT_GOAL := all
BUILD_STAMP := $(BUILD)/build-flags
BUILD_FLAGS := FAULTINJ=$(FAULTINJ) COVERAGE=$(COVERAGE) DEPS=1$(if $(filter 0,$(AUTOSITES)), AUTOSITES=0)$(if $(EXTRA_CFLAGS), EXTRA_CFLAGS=$(EXTRA_CFLAGS))
ifneq ($(shell cat $(BUILD_STAMP) 2>/dev/null),$(BUILD_FLAGS))
.PHONY: $(BUILD_STAMP)
endif
$(BUILD_STAMP):
	@mkdir -p $(@D) && echo "$(BUILD_FLAGS)" > $@

.PHONY: all run qemu-gdb gdb test bench deps clean campaign coverage edfi help gate baseline minimize
all: $(ELFS) $(BUILD)/pyc.stamp ## build the kernel and every program (build/, or BUILD=...)

# The host code byte-compiled once (__pycache__, git-ignored): with
# PYTHONDONTWRITEBYTECODE set, as some environments do, every process
# compiled every module it imported, ~0.1 s per report and per engine start.
# compileall writes them all the same, and only what changed since.
HOST_PY := $(wildcard *.py faultinj/*.py faultinj/tests/*.py campaigns/*.py campaigns/tests/*.py \
                      reports/*.py reports/tests/*.py contract/*.py bench/*.py tests/*.py)
$(BUILD)/pyc.stamp: $(HOST_PY)
	@mkdir -p $(BUILD)
	@$(PYTHON) -m compileall -q -l $(sort $(dir $(HOST_PY))) >/dev/null
	@touch $@

# make help: every target with its `## ` line (targets declared as
# `name: ... ## what it does`), so the list cannot miss one that has it
help: ## list the targets, one line each
	@awk -F':.*## ' '/^[a-z][a-z_-]*:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

# Regenerated whenever the contract changes; contract_check.c fails to
# compile if a struct the host reads no longer matches the contract. Every
# object waits for the header (order-only: its .d file then names it).
$(GEN)/contract.h $(GEN)/contract_check.c $(GEN)/ev_producers.h &: contract/guest_host.def contract/gen.py \
		contract/contract.py contract/events.def contract/events.py
	@mkdir -p $(GEN)
	@echo GEN $(GEN)/contract.h; $(PYTHON) contract/gen.py $(GEN)
$(BUILD)/k/contract_check.o: $(GEN)/contract_check.c $(BUILD_STAMP)
	@mkdir -p $(dir $@)
	@echo CC $<; $(CC) $(KCFLAGS) -Ios/include -c $< -o $@

$(BUILD)/k/%.c.o: %.c $(BUILD_STAMP) $(AUTO_DEP) | $(GEN)/contract.h
	@mkdir -p $(dir $@)
	@echo CC $<; $(CC) $(KCFLAGS) $(call cov_flags,$<) $(call auto_kflags,$<) -c $< -o $@
# the IPC path a second time, its fault sites compiled out (os/kernel/ipc.c)
$(BUILD)/k/%.c.nofi.o: %.c $(BUILD_STAMP) $(AUTO_DEP) | $(GEN)/contract.h
	@mkdir -p $(dir $@)
	@echo CC $< nofi; $(CC) $(KCFLAGS) -DIPC_NOFI $(call cov_flags,$<) $(call auto_kflags,$<) -c $< -o $@
$(BUILD)/k/%.S.o: %.S $(BUILD_STAMP)
	@mkdir -p $(dir $@)
	@echo CC $<; $(CC) $(ASFLAGS) -c $< -o $@
$(BUILD)/u/%.c.o: %.c $(BUILD_STAMP) $(AUTO_DEP) | $(GEN)/contract.h
	@mkdir -p $(dir $@)
	@echo CC $<; $(CC) $(UCFLAGS) $(call cov_flags,$<) $(call auto_uflags,$<) -c $< -o $@
$(BUILD)/u/%.S.o: %.S $(BUILD_STAMP)
	@mkdir -p $(dir $@)
	@echo CC $<; $(CC) $(ASFLAGS) -c $< -o $@

# the headers each object was built with (from -MMD)
-include $(ALL_OBJS:.o=.d)

$(BUILD)/kernel.elf: $(KOBJS) os/kernel/kernel.ld
	@echo LD $@; $(LD) $(LDFLAGS) -T os/kernel/kernel.ld -o $@ $(KOBJS) $(LIBGCOV) $(LIBGCC)

$(BUILD)/libos.a: $(LOBJS)
	@rm -f $@ && ar rcs $@ $(LOBJS)

define program
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/u/%.o,$(SRCS_$(1))) $(BUILD)/libos.a os/lib/user.ld
	@echo LD $$@; $(LD) $(LDFLAGS) -T os/lib/user.ld -o $$@ $(BUILD)/u/os/lib/libc/crt0.S.o \
		$(patsubst %,$(BUILD)/u/%.o,$(SRCS_$(1))) $(BUILD)/libos.a $(LIBGCOV) $(LIBGCC)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program,$(p))))

# Host code finds this build through these (faultinj/bootimage.py).
PYENV = OS_BUILD_DIR=$(abspath $(BUILD)) OS_COVERAGE=$(COVERAGE) OS_FAULTINJ=$(FAULTINJ)

# The whole system (faultinj/bootimage.py SYSTEM) with its shell on this
# terminal. The QEMU command line is built in one place, faultinj/qemu.py:
# `python3 -m faultinj run --print` shows it. The event lines go to a log
# file (its path is printed first; EVENTS_LOG=file), EVENTS=1 shows them
# on the terminal too (faultinj/terminal.py).
RUN_OPTS = $(if $(filter 1,$(EVENTS)),--events) $(if $(EVENTS_LOG),--events-log '$(EVENTS_LOG)')
run: all ## boot the system, its shell on this terminal (EVENTS=1: event lines too; GDB=1: under gdb)
ifeq ($(GDB),1)
	@$(MAKE) --no-print-directory gdb
else
	@$(PYENV) $(PYTHON) -m faultinj run $(RUN_OPTS)
endif

# As xv6's qemu-gdb: the system on this terminal, stopped at its first
# instruction until gdb attaches from another one (the command is printed).
qemu-gdb: all ## boot the system stopped, waiting for gdb (prints the gdb command)
	@$(PYENV) $(PYTHON) -m faultinj run --gdb $(RUN_OPTS)

# Real gdb on the system (faultinj/debugger.py), stopped at its first
# instruction, with the kernel's and every program's symbols; or one
# campaign experiment stopped at its plan point (campaigns/replay.py); or
# attached to a running stub.
#   make gdb [SVC=rs[,kv]] [EXP=<experiment id> [SPEC=file]] [ATTACH=socket]
#            [CONSOLE=log file] [GDBARGS='-batch -x cmds']
GDB_OPTS = $(if $(SVC),--service '$(SVC)') $(if $(CONSOLE),--console-log '$(CONSOLE)')
gdb: all ## gdb on the system, or on one experiment (EXP=id SPEC=file), or ATTACH=socket
	@$(PYENV) $(PYTHON) -m \
	$(if $(EXP),campaigns gdb '$(EXP)' --spec '$(SPEC)',faultinj gdb $(if $(ATTACH),--attach '$(ATTACH)')) \
	$(GDB_OPTS) -- $(value GDBARGS)

test: all ## the test suite (pytest, boots the OS in QEMU)
	$(PYTHON) -m pytest -n auto -q

# The main job: run a fault campaign and write its report.
#   make campaign [SPEC=campaigns/specs/quick.spec] [ONLY=<experiment id>] [JOBS=2] [FRESH=1]
#                 [BASELINE=campaigns/baseline/quick.json]   (a comparison in the report)
# The campaign engine (campaigns/engine.py) checks the spec and ONLY against
# the build first (campaigns/check.py): bad input stops there with one
# message, before any machine starts. Then it runs the campaign: a line per
# experiment, and the report's path at the end. (pytest runs the same engine:
# python3 -m pytest campaigns/test_campaign.py -n 2, with CAMPAIGN_SPEC=...)
SPEC ?= campaigns/specs/default.spec
JOBS ?= auto
JOBS_N = $(if $(filter auto,$(JOBS)),$(shell nproc),$(JOBS))
campaign: all ## run a fault campaign and write its report (SPEC=, ONLY=, JOBS=, FRESH=1)
	@$(PYENV) $(PYTHON) -m campaigns run '$(SPEC)' --only '$(ONLY)' --jobs $(JOBS_N) \
		$(if $(filter 1,$(FRESH)),--fresh) $(if $(filter 1,$(COVERAGE)),--coverage) \
		$(if $(CAMPAIGN_OUT),--out '$(CAMPAIGN_OUT)') $(if $(BASELINE),--baseline '$(BASELINE)')

# The EDFI-style campaign (issue 12): a golden run of the workload, then N
# faults (flip branch, corrupt integer/pointer, null pointer, skip, no store,
# stuck loop, crash, hang) sampled at automatic basic-block sites it
# executed, weighted by execution count or uniform over sites, seeded; then
# the campaign and its survivability report. The spec is generated for this
# build (sites are addresses in its ELFs): build/edfi.spec.
#   make edfi [N=2000] [SEED=1] [WEIGHT=count|uniform] [JOBS=2]
N ?= 2000
SEED ?= 1
WEIGHT ?= count
edfi: all ## golden run, N sampled faults at automatic sites, the campaign (N=, SEED=)
	@$(PYENV) $(PYTHON) -m campaigns golden -o $(BUILD)/golden.json --jobs $(JOBS_N)
	@$(PYENV) $(PYTHON) -m campaigns generate --golden $(BUILD)/golden.json --auto \
		--sample $(N) --seed $(SEED) --weight $(WEIGHT) -o $(BUILD)/edfi.spec
	@$(MAKE) --no-print-directory campaign SPEC=$(BUILD)/edfi.spec || \
		echo "edfi: experiments other than benign or recovered are the faultload's findings (see the report)"

# The regression gate (CI runs it, .ci/run): the quick campaign and a
# sampled EDFI campaign, campaigns/specs/edfi-ci.spec (committed: its sites
# are named by function and block, so its experiments keep their ids across
# builds), run afresh and each compared with its baseline committed in
# campaigns/baseline/ by `python3 -m campaigns compare` (reports/compare.py):
# it fails on a significant survivability regression or a new failure
# signature, naming the component; each report has the comparison as a
# section. The quick campaign must also come out as its spec requires; the
# EDFI campaign's own failures are findings, judged against the baseline.
# A spec naming a function or block the build no longer has is refused
# before anything runs: then the baseline is due.
#   make gate [JOBS=2]
# `make baseline` refreshes the sample (a golden run of this build, GATE_N
# experiments drawn with GATE_SEED) and both baselines from this build.
GATE_OUT ?= reports/out/gate
GATE_N ?= 300
GATE_SEED ?= 1
GATE_RUN = $(PYENV) $(PYTHON) -m campaigns run campaigns/specs/$(1).spec --jobs $(JOBS_N) --fresh \
	--out $(GATE_OUT)/$(1)
gate: all ## the regression gate: quick and EDFI-sample campaigns compared with campaigns/baseline/
	@$(call GATE_RUN,quick) --baseline campaigns/baseline/quick.json
	@$(call GATE_RUN,edfi-ci) --baseline campaigns/baseline/edfi-ci.json; [ $$? -le 1 ]
	@rc=0; for s in quick edfi-ci; do \
		$(PYENV) $(PYTHON) -m campaigns compare campaigns/baseline/$$s.json $(GATE_OUT)/$$s || rc=1; \
	done; exit $$rc

baseline: all ## refresh the EDFI sample and the gate's baselines from this build
	@$(PYENV) $(PYTHON) -m campaigns golden -o $(BUILD)/golden.json --jobs $(JOBS_N)
	@$(PYENV) $(PYTHON) -m campaigns generate --golden $(BUILD)/golden.json --auto \
		--sample $(GATE_N) --seed $(GATE_SEED) --name edfi-ci -o campaigns/specs/edfi-ci.spec
	@for s in quick edfi-ci; do \
		$(call GATE_RUN,$$s); [ $$? -le 1 ] || exit 1; \
		$(PYENV) $(PYTHON) -m campaigns compare --trim $(GATE_OUT)/$$s \
			-o campaigns/baseline/$$s.json || exit 1; \
	done

# Minimal reproducers (campaigns/minimize_main.py): each failure signature of
# a campaign's results shrunk to its smallest experiment, replayed three
# times; the campaign's report then shows them.
#   make minimize [OUT=reports/out/default] [BUDGET=60]
OUT ?= reports/out/default
BUDGET ?= 60
minimize: all ## shrink each failure signature of a campaign (OUT=its directory) to a minimal reproducer
	@$(PYENV) $(PYTHON) -m campaigns minimize --all --results '$(OUT)/results.json' --budget $(BUDGET)

# The campaign on the gcov build, with lcov pages of kernel, RS, SEF, servers.
coverage: ## the campaign on the gcov build, with lcov pages
	$(MAKE) campaign COVERAGE=1

bench: all ## the benchmarks (bench/)
	$(PYTHON) -m bench

# openssh-server: tests/test_campaign_ssh.py runs its own sshd on 127.0.0.1
# with its own config; the package's system service is not needed (where
# systemd starts it on install: systemctl disable --now ssh)
deps: ## install the Debian packages (as root)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 qemu-utils gcc gcc-multilib \
		binutils make gdb lcov python3 python3-pytest python3-pytest-xdist \
		python3-pytest-timeout python3-pyelftools python3-jinja2 chromium openssh-server \
		g++ gcc-12-plugin-dev

# every build output: each variant's directory (and a BUILD= one), and the
# host's bytecode caches; campaign and coverage reports (reports/out/,
# reports/coverage/) are results, kept
clean: ## remove every build output (reports/out/ and reports/coverage/ are kept)
	rm -rf $(BUILD_DIRS) $(BUILD)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache
