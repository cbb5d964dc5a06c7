# Recipes for the same scripts CI and the README use (install `just` with `cargo install just`).

# Run the seed's lab (arguments go to `tcplab run`).
lab *ARGS:
    ci/lab {{ARGS}}

# Install tshark and tcpdump if missing.
install:
    ci/install

# fmt, clippy and every test, as CI runs them.
test:
    ci/test

# Re-record the small captures under tests/fixtures with tcplab itself.
fixtures:
    cargo build --release && ci/record-fixtures

fmt:
    cargo fmt

clippy:
    cargo clippy --release --all-targets -- -D warnings

# Benchmarks: one lab vs tshark start-up, sweep vs one lab, sweep vs per-size captures, a folder of captures checked in one command vs one per file.
bench RUNS="7":
    ci/bench {{RUNS}}

# N labs under a CPU load on both cores; fails on any miss or leak.
soak N="500":
    ci/soak {{N}}
