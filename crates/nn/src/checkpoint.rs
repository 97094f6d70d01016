//! Saving and loading a trained [`Mlp`].
//!
//! # Format (version 1)
//! ```text
//! bytes 0..8    magic "ML4ANNv\0"
//! bytes 8..12   format version, u32 little-endian
//! bytes 12..20  length A of the architecture block, u64 little-endian
//! A bytes       the Architecture, bincode (standard config)
//! rest          the layers' parameters, bincode (standard config)
//! ```
//! The architecture comes first and is checked before any parameter is decoded: its parameter
//! count must fit in the bytes that follow, so a corrupt header cannot cause a large allocation.

use std::path::{Path, PathBuf};

use tensor::Matrix;

use crate::mlp::{Architecture, Linear, Mlp};

const MAGIC: &[u8; 8] = b"ML4ANNv\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 20;

/// A checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("checkpoint {}: {kind}", path.display())]
pub struct CheckpointError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: CheckpointErrorKind,
}

/// What went wrong with a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointErrorKind {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with the checkpoint magic.
    #[error("not a checkpoint (bad magic)")]
    BadMagic,
    /// The file is shorter than its header says.
    #[error("truncated: {0}")]
    Truncated(String),
    /// Written by a format version this build does not read.
    #[error("format version {found}, this build reads version {FORMAT_VERSION}")]
    Version {
        /// The file's version.
        found: u32,
    },
    /// The network stored is not the one asked for.
    #[error("architecture {found}, expected {expected}")]
    Architecture {
        /// What the caller expected.
        expected: String,
        /// What the file holds.
        found: String,
    },
    /// The contents do not decode or do not agree with each other.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A parameter is NaN or infinite; such a model is never saved.
    #[error("a parameter is not finite")]
    NotFinite,
}

fn err(path: &Path, kind: impl Into<CheckpointErrorKind>) -> CheckpointError {
    CheckpointError {
        path: path.to_path_buf(),
        kind: kind.into(),
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// A [`Matrix`] as serialised (the same fields in the same order), decoded without building the
/// matrix: its shape is checked here, by us, with every product checked, so no corrupt shape
/// reaches code that assumes a sane one (the matrix's own error message multiplies the shape).
#[derive(serde::Deserialize)]
struct RawMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl RawMatrix {
    fn into_matrix(self, layer: usize, what: &str) -> Result<Matrix, CheckpointErrorKind> {
        let (rows, cols, len) = (self.rows, self.cols, self.data.len());
        if rows.checked_mul(cols) != Some(len) {
            return Err(CheckpointErrorKind::Corrupt(format!(
                "layer {layer} {what}: a {rows}x{cols} matrix with {len} values"
            )));
        }
        Matrix::from_vec(rows, cols, self.data)
            .map_err(|_| CheckpointErrorKind::Corrupt(format!("layer {layer} {what}: bad shape")))
    }
}

/// A [`Linear`] as serialised.
#[derive(serde::Deserialize)]
struct RawLinear {
    weight: RawMatrix,
    bias: RawMatrix,
}

/// Serialises `model` in the checkpoint format.
///
/// # Errors
/// [`CheckpointErrorKind::NotFinite`] when a parameter is NaN or infinite.
pub fn to_bytes(model: &Mlp) -> Result<Vec<u8>, CheckpointErrorKind> {
    if !model.all_finite() {
        return Err(CheckpointErrorKind::NotFinite);
    }
    let arch = bincode::serde::encode_to_vec(model.architecture(), config())
        .map_err(|e| CheckpointErrorKind::Corrupt(e.to_string()))?;
    let layers = bincode::serde::encode_to_vec(model.layers(), config())
        .map_err(|e| CheckpointErrorKind::Corrupt(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER + arch.len() + layers.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(arch.len() as u64).to_le_bytes());
    out.extend_from_slice(&arch);
    out.extend_from_slice(&layers);
    Ok(out)
}

/// Parses a checkpoint, checking it against `expected` when given.
///
/// # Errors
/// Every way the bytes can be wrong, as a [`CheckpointErrorKind`]; never panics.
pub fn from_bytes(
    bytes: &[u8],
    expected: Option<&Architecture>,
) -> Result<Mlp, CheckpointErrorKind> {
    use CheckpointErrorKind as K;
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            K::Truncated(format!(
                "{} bytes, the header alone is {HEADER}",
                bytes.len()
            ))
        } else {
            K::BadMagic
        });
    }
    if bytes.len() < HEADER {
        return Err(K::Truncated(format!(
            "{} bytes, the header alone is {HEADER}",
            bytes.len()
        )));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(K::Version { found: version });
    }
    let arch_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let rest = &bytes[HEADER..];
    if arch_len > rest.len() as u64 {
        return Err(K::Truncated(format!(
            "the architecture block claims {arch_len} bytes, {} remain",
            rest.len()
        )));
    }
    let (arch_bytes, layer_bytes) = rest.split_at(arch_len as usize);
    let (arch, used): (Architecture, usize) =
        bincode::serde::decode_from_slice(arch_bytes, config())
            .map_err(|e| K::Corrupt(format!("architecture: {e}")))?;
    if used != arch_bytes.len() {
        return Err(K::Corrupt("architecture block has trailing bytes".into()));
    }
    if let Some(expected) = expected
        && *expected != arch
    {
        return Err(K::Architecture {
            expected: expected.describe(),
            found: arch.describe(),
        });
    }
    // Each parameter takes 4 bytes: refuse before decoding if they cannot all be there.
    let params = (0..arch.layers.len()).try_fold(0u64, |acc, l| {
        let units = arch.layers[l].units as u64;
        // Every step checked: a corrupt header may hold any widths, `usize::MAX` included.
        (arch.fan_in(l) as u64)
            .checked_add(1)
            .and_then(|w| units.checked_mul(w))
            .and_then(|p| acc.checked_add(p))
    });
    match params.and_then(|p| p.checked_mul(4)) {
        Some(need) if need <= layer_bytes.len() as u64 => {}
        _ => {
            return Err(K::Truncated(format!(
                "{} parameters do not fit in {} bytes",
                arch.describe(),
                layer_bytes.len()
            )));
        }
    }
    let (raw, used): (Vec<RawLinear>, usize) =
        bincode::serde::decode_from_slice(layer_bytes, config())
            .map_err(|e| K::Corrupt(format!("parameters: {e}")))?;
    if used != layer_bytes.len() {
        return Err(K::Corrupt("trailing bytes after the parameters".into()));
    }
    let layers = raw
        .into_iter()
        .enumerate()
        .map(|(l, r)| {
            Ok(Linear {
                weight: r.weight.into_matrix(l, "weight")?,
                bias: r.bias.into_matrix(l, "bias")?,
            })
        })
        .collect::<Result<Vec<_>, K>>()?;
    let desc = arch.describe();
    let model = Mlp::from_layers(arch, layers)
        .ok_or_else(|| K::Corrupt(format!("parameter shapes do not match {desc}")))?;
    if !model.all_finite() {
        return Err(K::NotFinite);
    }
    Ok(model)
}

/// Writes `model` to `path` atomically (through [`atomicfile::write`]: a temporary file in the
/// same directory, synced, renamed into place), so a reader never sees a half-written
/// checkpoint. A model with a NaN or infinite parameter is refused before anything is written.
///
/// # Errors
/// [`CheckpointError`] naming `path` when the model is not finite or the file cannot be written.
pub fn save(model: &Mlp, path: &Path) -> Result<(), CheckpointError> {
    let bytes = to_bytes(model).map_err(|k| err(path, k))?;
    atomicfile::write(path, &bytes).map_err(|e| err(path, std::io::Error::from(e)))
}

/// Reads a checkpoint from `path`, checking it against `expected` when given.
///
/// # Errors
/// [`CheckpointError`] naming `path` and what is wrong (missing, bad magic, another format
/// version or architecture, truncated, corrupt).
pub fn load(path: &Path, expected: Option<&Architecture>) -> Result<Mlp, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    from_bytes(&bytes, expected).map_err(|k| err(path, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, Init, init};
    use proptest::prelude::*;

    fn net() -> Mlp {
        Mlp::new(
            Architecture::classifier(5, &[3], Activation::Sigmoid, 2),
            Init::UniformFanIn,
            &mut init::rng(1),
        )
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ckpt");
        let m = net();
        save(&m, &path).unwrap();
        assert_eq!(load(&path, Some(m.architecture())).unwrap(), m);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }

    fn check_err(bytes: &[u8], expected: Option<&Architecture>, want: &str) {
        let e = from_bytes(bytes, expected).unwrap_err().to_string();
        assert!(e.contains(want), "{e:?} does not mention {want:?}");
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let good = to_bytes(&net()).unwrap();
        check_err(b"", None, "truncated");
        check_err(b"PK\x03\x04 not a checkpoint at all", None, "bad magic");
        check_err(&good[..15], None, "truncated");
        check_err(&good[..good.len() - 3], None, "parameters");
        let mut v2 = good.clone();
        v2[8] = 2;
        check_err(&v2, None, "format version 2");
        let other = Architecture::classifier(5, &[4], Activation::Sigmoid, 2);
        check_err(
            &good,
            Some(&other),
            "architecture 5-3(sigmoid)-2, expected 5-4(sigmoid)-2",
        );
        let mut huge = good.clone();
        huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        check_err(&huge, None, "claims");
        let mut trailing = good.clone();
        trailing.push(0);
        check_err(&trailing, None, "trailing");
    }

    #[test]
    fn a_huge_matrix_shape_is_an_error_not_an_overflow() {
        // Found by `cargo fuzz run checkpoint`: a valid architecture block, then a matrix that
        // claims 2^63 x 3 values. Decoding it into a `Matrix` made its error message multiply
        // the shape, which overflowed.
        let arch = bincode::serde::encode_to_vec(
            Architecture::classifier(2, &[], Activation::Identity, 1),
            config(),
        )
        .unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend(FORMAT_VERSION.to_le_bytes());
        bytes.extend((arch.len() as u64).to_le_bytes());
        bytes.extend(&arch);
        // One layer: a weight of 2^63 rows (varint tag 253, then 8 bytes) x 3 columns and no
        // data, then an empty bias; 15 bytes, enough for the 3 parameters the header counts.
        bytes.extend([1, 253]);
        bytes.extend((1u64 << 63).to_le_bytes());
        bytes.extend([3, 0]);
        bytes.extend([0, 0, 0]);
        let e = from_bytes(&bytes, None).unwrap_err();
        assert!(
            matches!(&e, CheckpointErrorKind::Corrupt(m) if m.contains("9223372036854775808x3")),
            "{e}"
        );
    }

    #[test]
    fn non_finite_models_are_never_saved() {
        let mut m = net();
        m.layers_mut()[0].weight.set(0, 0, f32::NAN);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ckpt");
        assert!(matches!(
            save(&m, &path).unwrap_err().kind,
            CheckpointErrorKind::NotFinite
        ));
        assert!(!path.exists());
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = load(Path::new("/nonexistent/x.ckpt"), None).unwrap_err();
        assert!(
            e.to_string().starts_with("checkpoint /nonexistent/x.ckpt:"),
            "{e}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn round_trip_any_architecture(inputs in 1usize..20, hidden in proptest::collection::vec(1usize..8, 0..3), classes in 1usize..6, seed: u64) {
            let m = Mlp::new(Architecture::classifier(inputs, &hidden, Activation::Relu, classes), Init::HeNormal, &mut init::rng(seed));
            let bytes = to_bytes(&m).unwrap();
            prop_assert_eq!(from_bytes(&bytes, None).unwrap(), m);
        }

        #[test]
        fn any_truncation_after_any_byte_change_is_an_error(flip in 0usize..400, byte: u8, cut in 0usize..400) {
            let mut bytes = to_bytes(&net()).unwrap();
            let i = flip % bytes.len();
            bytes[i] = byte;
            let cut = cut.min(bytes.len() - 1);
            bytes.truncate(cut);
            prop_assert!(from_bytes(&bytes, None).is_err(), "{} of {} bytes decoded", cut, bytes.len());
        }
    }

    /// Bit patterns of every parameter, in order.
    fn param_bits(m: &Mlp) -> Vec<u32> {
        m.params()
            .iter()
            .flat_map(|(_, p)| p.as_slice().iter().map(|v| v.to_bits()))
            .collect()
    }

    #[test]
    fn every_header_byte_change_truncation_or_extension_is_an_error() {
        let good = to_bytes(&net()).unwrap();
        // Magic, version and the architecture block's length: every other value of every byte.
        for i in 0..HEADER {
            for v in (0..=u8::MAX).filter(|&v| v != good[i]) {
                let mut bad = good.clone();
                bad[i] = v;
                assert!(
                    from_bytes(&bad, None).is_err(),
                    "header byte {i} = {v} decoded"
                );
            }
        }
        for cut in 0..good.len() {
            assert!(
                from_bytes(&good[..cut], None).is_err(),
                "{cut} bytes decoded"
            );
        }
        for v in 0..=u8::MAX {
            let mut long = good.clone();
            long.push(v);
            assert!(from_bytes(&long, None).is_err(), "a trailing {v} decoded");
        }
    }

    #[test]
    fn any_byte_change_is_an_error_or_exactly_one_changed_parameter() {
        // A byte inside a parameter's four bytes may well give another finite value, and one
        // inside the architecture block another valid architecture (sigmoid for identity):
        // neither is detectable without a checksum, and the format has none. Read against the
        // architecture the caller expects, as the pipeline reads its cache, everything else —
        // architecture, layer counts, shapes, lengths — must fail to decode; so a change that
        // decodes is one parameter's value and nothing more.
        let m = net();
        let good = to_bytes(&m).unwrap();
        let want = param_bits(&m);
        let mut decoded = 0;
        for i in 0..good.len() {
            for v in (0..=u8::MAX).filter(|&v| v != good[i]) {
                let mut bad = good.clone();
                bad[i] = v;
                let Ok(got) = from_bytes(&bad, Some(m.architecture())) else {
                    continue;
                };
                decoded += 1;
                assert_eq!(got.architecture(), m.architecture(), "byte {i} = {v}");
                assert_eq!(
                    to_bytes(&got).unwrap(),
                    bad,
                    "byte {i} = {v}: not what the bytes say"
                );
                let changed = param_bits(&got)
                    .iter()
                    .zip(&want)
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(changed, 1, "byte {i} = {v}");
            }
        }
        // Most changes inside the parameters decode: the test did reach that branch.
        assert!(decoded > 0);
    }
}
