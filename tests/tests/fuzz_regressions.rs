//! Inputs that once crashed a fuzz target (`fuzz/regressions/<target>/`), replayed through the
//! same calls as the target, so a fixed crash stays fixed without a fuzzer. A target gets a test
//! here when the fuzzer first finds something in it.

use std::path::{Path, PathBuf};

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn checkpoint() {
    let cases = regressions("checkpoint");
    assert!(
        !cases.is_empty(),
        "fuzz/regressions/checkpoint holds the crash it found"
    );
    for (path, bytes) in cases {
        // Each of these crashed the loader; now each is refused with an error.
        let err = nn::checkpoint::from_bytes(&bytes, None)
            .err()
            .unwrap_or_else(|| panic!("{} loads", path.display()));
        assert!(!err.to_string().is_empty());
    }
}
