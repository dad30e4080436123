//! Writes the test vectors to `specs/vectors/` from fixed seeds. `tests/vectors.rs` fails if the
//! files and this generator drift apart: rerun `cargo run -p protocol --example vectors` after any
//! change to an encoding, label or hash, and review the diff.
#[path = "../tests/support/mod.rs"]
mod support;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/vectors");
    std::fs::create_dir_all(&dir)?;
    for (name, contents) in support::vectors::all() {
        std::fs::write(dir.join(name), contents)?;
        println!("wrote specs/vectors/{name}");
    }
    Ok(())
}
