//! [`atomicfile::abandon_all`] in a process of its own: once called, it stays in force.

use std::fs;
use std::io::Write;

use atomicfile::{AtomicDir, AtomicFile, ErrorKind};

#[test]
fn abandon_all_removes_what_is_in_flight_and_stops_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    atomicfile::write(dir.path().join("done.json"), b"{}").unwrap();
    let mut half = AtomicFile::create(dir.path().join("half.png")).unwrap();
    half.write_all(b"\x89PNG").unwrap();
    let filling = AtomicDir::create(dir.path().join("extracted")).unwrap();
    fs::write(filling.path().join("member"), b"x").unwrap();
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);

    assert_eq!(atomicfile::abandon_all(), 2);
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["done.json"], "only the whole file is left");

    let e = half.commit().unwrap_err();
    assert!(matches!(e.kind, ErrorKind::ShuttingDown), "{e}");
    let e = filling.commit().unwrap_err();
    assert!(matches!(e.kind, ErrorKind::ShuttingDown), "{e}");
    let e = atomicfile::write(dir.path().join("later"), b"x").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::ShuttingDown), "{e}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}
