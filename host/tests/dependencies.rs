//! `host` (the host core) must stay free of I/O: none of the I/O crates may be among its normal dependencies,
//! direct or transitive. Asks cargo itself (`cargo tree`), which resolves features exactly.

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "quinn",
    "quinn-proto",
    "rustls",
    "redb",
    "ratatui",
    "crossterm",
    "mdns-sd",
    "tokio-postgres",
    "getrandom",
    "mio",
    "socket2",
];

#[test]
fn the_host_core_depends_on_no_io_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "brogue-host",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).expect("cargo prints UTF-8");
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    // The listing itself must be real: these are game's actual dependencies.
    for expected in ["brogue-host", "brogue-game", "rand_chacha", "subtle"] {
        assert!(
            crates.contains(&expected),
            "cargo tree did not list {expected}:\n{tree}"
        );
    }
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.contains(f)).collect();
    assert!(
        found.is_empty(),
        "the host core depends on I/O crates {found:?}:\n{tree}"
    );
}
