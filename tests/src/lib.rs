//! Shared fixtures for the cross-crate tests: small datasets in the official on-disk formats,
//! written by the tests themselves, so the real readers and the whole pipeline run in seconds;
//! the `experiments` binary, built on demand; and checks that an output file is whole.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub mod browser;
pub mod mirror;

/// A tiny deterministic generator (xorshift64*), so fixtures are the same on every run.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// The next value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// An IDX file: magic (u8 data, `dims.len()` dimensions), big-endian dimensions, then `data`.
pub fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// Images of `side x side` pixels, `channels` planes, whose class shows as a bright bar at a
/// class-dependent row plus noise: learnable, but not perfectly.
pub fn synthetic_images(
    n: usize,
    side: usize,
    channels: usize,
    rng: &mut Xorshift,
) -> (Vec<u8>, Vec<u8>) {
    let labels: Vec<u8> = (0..n).map(|_| rng.below(10) as u8).collect();
    let mut pixels = Vec::with_capacity(n * channels * side * side);
    for &l in &labels {
        let row = 2 + l as usize * (side - 4) / 10;
        for c in 0..channels {
            for y in 0..side {
                for x in 0..side {
                    let bar = (y == row || y == row + 1)
                        && x > 3
                        && x < side - 3
                        && !(c + l as usize).is_multiple_of(3)
                        || channels == 1 && y == row;
                    let v = if bar {
                        140 + rng.below(116)
                    } else {
                        rng.below(90)
                    };
                    pixels.push(v as u8);
                }
            }
        }
    }
    (pixels, labels)
}

/// Writes an MNIST-format folder `dir/mnist/` (gzip IDX, 28x28) with `train` and `test` images.
pub fn write_mnist(dir: &Path, train: usize, test: usize, seed: u64) {
    let d = dir.join("mnist");
    std::fs::create_dir_all(&d).expect("creating the fixture folder");
    let mut rng = Xorshift(seed | 1);
    for (stem, n) in [("train", train), ("t10k", test)] {
        let (px, lb) = synthetic_images(n, 28, 1, &mut rng);
        let img = idx_bytes(&[n as u32, 28, 28], &px);
        let lab = idx_bytes(&[n as u32], &lb);
        std::fs::write(d.join(format!("{stem}-images-idx3-ubyte.gz")), gzip(&img))
            .expect("writing a fixture");
        std::fs::write(d.join(format!("{stem}-labels-idx1-ubyte.gz")), gzip(&lab))
            .expect("writing a fixture");
    }
}

/// Writes a CIFAR-10-format folder `dir/cifar-10-batches-bin/`: five training batches of
/// `per_batch` records, a test batch of `test` records, and the class names.
pub fn write_cifar(dir: &Path, per_batch: usize, test: usize, seed: u64) {
    let d = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&d).expect("creating the fixture folder");
    let mut rng = Xorshift(seed | 1);
    for (name, bytes) in cifar_members(per_batch, test, &mut rng) {
        std::fs::write(d.join(name), bytes).expect("writing a fixture");
    }
}

/// The CIFAR-10 class names, as `batches.meta.txt` holds them.
pub const CIFAR_META: &str =
    "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";

/// CIFAR-10 records: for each image, its label byte then its 3072 pixel bytes.
pub fn cifar_records(labels: &[u8], pixels: &[u8]) -> Vec<u8> {
    assert_eq!(labels.len() * 3072, pixels.len(), "fixture misuse");
    let mut out = Vec::with_capacity(labels.len() * 3073);
    for (l, img) in labels.iter().zip(pixels.chunks_exact(3072)) {
        out.push(*l);
        out.extend_from_slice(img);
    }
    out
}

/// The seven members of a CIFAR-10 folder (name, content): `batches.meta.txt`, five training
/// batches of `per_batch` synthetic records and a test batch of `test`.
pub fn cifar_members(per_batch: usize, test: usize, rng: &mut Xorshift) -> Vec<(String, Vec<u8>)> {
    let mut members = vec![(
        "batches.meta.txt".to_string(),
        CIFAR_META.as_bytes().to_vec(),
    )];
    for (name, n) in (1..=5)
        .map(|i| (format!("data_batch_{i}.bin"), per_batch))
        .chain([("test_batch.bin".to_string(), test)])
    {
        let (px, lb) = synthetic_images(n, 32, 3, rng);
        members.push((name, cifar_records(&lb, &px)));
    }
    members
}

/// A `.tar.gz` holding `members` under `cifar-10-batches-bin/`, as the official archive does.
pub fn cifar_tar_gz(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(enc);
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("cifar-10-batches-bin/{name}"),
                &bytes[..],
            )
            .expect("writing to memory");
    }
    builder
        .into_inner()
        .and_then(|e| e.finish())
        .expect("writing to memory")
}

/// The `experiments` binary, built once per test process.
///
/// `ML4A_EXPERIMENTS_BIN` names a binary to use instead (for example `target/release/experiments`
/// after `cargo build --release -p experiments`). Otherwise it is built with the same profile
/// and target directory as the running test, which already holds every library it links, so
/// the build takes seconds; the hot crates are optimised in that profile too (see the root
/// `Cargo.toml`).
///
/// # Panics
/// When the build fails: the tests that need the binary cannot run.
pub fn experiments_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("ML4A_EXPERIMENTS_BIN") {
            return PathBuf::from(p);
        }
        // The test runs as TARGET/PROFILE/deps/NAME-HASH.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary lives in PROFILE/deps");
        let target_dir = profile_dir.parent().expect("PROFILE lives in TARGET");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev".to_string(),
            Some(other) => other.to_string(),
            None => "dev".to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        // Cargo gives a test the variables of its own package (CARGO_PKG_NAME, ...). Passed on,
        // they change what some build scripts see, so the nested build would rebuild half the
        // dependency tree, and the next outer build would rebuild it back.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let per_package = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
            ]
            .iter()
            .any(|p| k.starts_with(p))
                || [
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .contains(&k.as_ref());
            if per_package {
                build.env_remove(&key);
            }
        }
        let status = build
            .args([
                "build",
                "--quiet",
                "-p",
                "ml4a-experiments",
                "--bin",
                "experiments",
            ])
            .args(["--profile", &profile])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo");
        assert!(status.success(), "building the experiments binary failed");
        profile_dir.join(format!("experiments{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// A command running [`experiments_bin`] with the environment of a machine without network:
/// `ML4A_OFFLINE=1`, so a test with missing data never reaches for the internet, and none of
/// the user's `ML4A_DATA`, `ML4A_MIRROR` or `RUST_BACKTRACE`. Tests of fetching set their own.
pub fn experiments_cmd() -> Command {
    let mut cmd = Command::new(experiments_bin());
    cmd.env("ML4A_OFFLINE", "1")
        .env_remove("ML4A_MIRROR")
        .env_remove("ML4A_DATA")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .expect("listing a directory")
            .flatten()
        {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Whether `name` is the name of a temporary file of an atomic write (not an output).
pub fn is_temporary(path: &Path) -> bool {
    path.file_name().is_some_and(atomicfile::is_temporary)
}

/// Checks that an output file is whole, by kind: a PNG has its signature and ends with its
/// `IEND` chunk, and decodes; JSON parses; a checkpoint loads; SVG and HTML end with their
/// closing tag. Any other kind of file is an error, so new outputs get a check here.
///
/// # Errors
/// What is wrong with the file, naming it.
pub fn check_whole(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fail = |why: &str| Err(format!("{}: {why}", path.display()));
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "png" => {
            // The IEND chunk: zero length, type, CRC.
            const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82];
            if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || !bytes.ends_with(&IEND) {
                return fail("not a whole PNG (signature or IEND missing)");
            }
            let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes[..]))
                .read_info()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
            reader
                .next_frame(&mut buf)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(())
        }
        "json" => serde_json::from_slice::<serde_json::Value>(&bytes)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", path.display())),
        "ckpt" => nn::checkpoint::from_bytes(&bytes, None)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", path.display())),
        "safetensors" => nn::safetensors::from_bytes(&bytes, &Default::default())
            .map(|_| ())
            .map_err(|(tensor, e)| format!("{} {tensor:?}: {e}", path.display())),
        "svg"
            if String::from_utf8_lossy(&bytes)
                .trim_end()
                .ends_with("</svg>") =>
        {
            Ok(())
        }
        "html"
            if String::from_utf8_lossy(&bytes)
                .trim_end()
                .ends_with("</html>") =>
        {
            Ok(())
        }
        "svg" | "html" => fail("does not end with its closing tag"),
        _ => fail("unknown kind of output: add a check for it"),
    }
}
