//! Helpers shared by the tally tests.
use protocol::manifest::ContestOption;

/// `n` options `o0`, `o1`, … titled `Option 0`, `Option 1`, ….
pub fn options(n: usize) -> Vec<ContestOption> {
    (0..n)
        .map(|i| ContestOption {
            id: format!("o{i}"),
            title: format!("Option {i}"),
        })
        .collect()
}
