# C500 Collective. Two commands do everything on a fresh machine:
#   make dev    run the worker locally with local D1/KV, demo data and the stand-ins
#   make test   install what is missing, build, and run every test
.PHONY: setup build dev test test-unit test-runtime lint bench fuzz register commands deploy doctor migrate-remote clean

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build.sh

dev: setup
	@bash scripts/dev.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

test-unit: setup
	cargo test

test-runtime: build
	node --test --test-concurrency=1 tests/

test: lint test-unit test-runtime

bench: setup
	@bash scripts/bench.sh

# Every parser of outside input, a million inputs per target (FUZZ_RUNS=…): cargo-fuzz on a
# nightly toolchain, else the stable property runner (FUZZ_STABLE=1 forces it). docs/security.md.
fuzz:
	@bash scripts/fuzz.sh

# Prints the /c500 command tree as Discord registration JSON.
commands:
	@cargo run -q --bin commands

# Registers the commands. Uses DISCORD_APPLICATION_ID / DISCORD_BOT_TOKEN (and optionally
# DISCORD_GUILD_ID, DISCORD_API_BASE) from the environment, else from .dev.vars.
register: setup
	@set -a; [ -z "$$DISCORD_BOT_TOKEN" ] && [ -f .dev.vars ] && . ./.dev.vars; set +a; node dev/register.mjs

doctor:
	@node dev/doctor.mjs $(if $(DEPLOYED),--deployed,)

deploy: build
	@bash scripts/deploy.sh

clean:
	rm -rf build target/wasm32-unknown-unknown .wrangler
