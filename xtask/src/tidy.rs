//! `cargo xtask tidy`: the rules of the source tree that no compiler checks, each a pure
//! function over file contents (so each is tested on a broken input below) and all of them run
//! over the real tree by [`run`] and by the test `the_tree_is_tidy`.
//!
//! The rules:
//! - the crate graph (normal dependencies between workspace crates) is exactly the one
//!   `docs/ARCHITECTURE.md` states on its `Edges:` line;
//! - every `.rs` file opens with a `//!` comment saying what it is for;
//! - no library crate depends on `anyhow` (except optionally, for a binary behind a feature);
//! - every dependency a package declares is used by its code;
//! - every `unsafe` block or impl has a `SAFETY:` comment just above it (or on its line);
//! - every workspace member inherits the workspace lints (`[lints] workspace = true`);
//! - no file under `crates/` names `../shared`: data locations come from the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The file (or manifest) that breaks it.
    pub(crate) file: PathBuf,
    /// Which rule.
    pub(crate) rule: &'static str,
    /// What is wrong.
    pub(crate) message: String,
}

impl Violation {
    fn new(file: impl Into<PathBuf>, rule: &'static str, message: impl Into<String>) -> Self {
        Violation {
            file: file.into(),
            rule,
            message: message.into(),
        }
    }
}

/// Runs every rule over the tree at `root`; prints each violation and fails when there is one.
pub(crate) fn run(root: &Path) -> Result<ExitCode> {
    let violations = check_tree(root)?;
    for v in &violations {
        eprintln!("{}: {}: {}", v.file.display(), v.rule, v.message);
    }
    if violations.is_empty() {
        println!("tidy: every rule holds");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("tidy: {} violation(s)", violations.len());
        Ok(ExitCode::from(1))
    }
}

/// Every violation in the tree at `root`.
pub(crate) fn check_tree(root: &Path) -> Result<Vec<Violation>> {
    let meta = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .exec()
        .context("running cargo metadata")?;
    let mut out = Vec::new();

    let arch = root.join("docs/ARCHITECTURE.md");
    let doc = std::fs::read_to_string(&arch).with_context(|| arch.display().to_string())?;
    match documented_edges(&doc) {
        Ok(documented) => out.extend(check_edges(&arch, &documented, &actual_edges(&meta))),
        Err(why) => out.push(Violation::new(&arch, "crate graph", why)),
    }

    for pkg in meta.workspace_packages() {
        let manifest = pkg.manifest_path.as_std_path();
        let dir = manifest.parent().expect("a manifest has a directory");
        let text =
            std::fs::read_to_string(manifest).with_context(|| manifest.display().to_string())?;
        out.extend(check_lints(manifest, &text));
        if is_library_crate(root, pkg) {
            let required: Vec<&str> = pkg
                .dependencies
                .iter()
                .filter(|d| d.kind == DependencyKind::Normal && !d.optional)
                .map(|d| d.name.as_str())
                .collect();
            out.extend(check_no_anyhow(manifest, &required));
        }
        let sources = rust_files(dir)
            .iter()
            .map(|f| std::fs::read_to_string(f).with_context(|| f.display().to_string()))
            .collect::<Result<Vec<_>>>()?
            .join("\n");
        let deps: Vec<String> = pkg
            .dependencies
            .iter()
            .map(|d| lib_name(&meta, d))
            .collect();
        out.extend(check_deps_used(manifest, &deps, &sources));
    }

    for top in ["crates", "xtask", "tests", "benches", "fuzz"] {
        for file in rust_files(&root.join(top)) {
            let text =
                std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
            let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
            out.extend(check_doc_header(&rel, &text));
            out.extend(check_safety_comments(&rel, &text));
            if top == "crates" {
                out.extend(check_no_shared_path(&rel, &text));
            }
        }
    }
    Ok(out)
}

/// A member under `crates/` with a library target: what users depend on.
fn is_library_crate(root: &Path, pkg: &Package) -> bool {
    pkg.manifest_path
        .as_std_path()
        .starts_with(root.join("crates"))
        && pkg
            .targets
            .iter()
            .any(|t| t.kind.iter().any(|k| k.to_string() == "lib"))
}

/// The name code uses for a dependency: its rename, else its library target's name.
fn lib_name(meta: &Metadata, dep: &cargo_metadata::Dependency) -> String {
    if let Some(r) = &dep.rename {
        return r.replace('-', "_");
    }
    meta.packages
        .iter()
        .filter(|p| p.name.as_str() == dep.name)
        .flat_map(|p| &p.targets)
        .find(|t| {
            t.kind
                .iter()
                .any(|k| matches!(k.to_string().as_str(), "lib" | "rlib" | "proc-macro"))
        })
        .map_or_else(|| dep.name.replace('-', "_"), |t| t.name.replace('-', "_"))
}

/// Normal dependencies between workspace crates, by library name.
fn actual_edges(meta: &Metadata) -> BTreeMap<String, BTreeSet<String>> {
    let members: BTreeMap<&str, String> = meta
        .workspace_packages()
        .iter()
        .filter_map(|p| {
            let lib = p
                .targets
                .iter()
                .find(|t| t.kind.iter().any(|k| k.to_string() == "lib"))?;
            Some((p.name.as_str(), lib.name.replace('-', "_")))
        })
        .collect();
    let mut edges = BTreeMap::new();
    for pkg in meta.workspace_packages() {
        let Some(from) = members.get(pkg.name.as_str()) else {
            continue;
        };
        if !pkg.manifest_path.as_str().contains("/crates/") {
            continue;
        }
        let to: BTreeSet<String> = pkg
            .dependencies
            .iter()
            .filter(|d| d.kind == DependencyKind::Normal)
            .filter_map(|d| members.get(d.name.as_str()).cloned())
            .collect();
        edges.insert(from.clone(), to);
    }
    edges
}

/// The edges stated on the architecture document's `Edges:` line, written as
/// `` `a → b, c` `` items (`` `a → none` `` for a crate with no workspace dependency).
fn documented_edges(doc: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let line = doc
        .lines()
        .find(|l| l.starts_with("Edges:"))
        .ok_or("no line starting with `Edges:`")?;
    let mut edges = BTreeMap::new();
    for item in line.split('`').skip(1).step_by(2) {
        let Some((from, to)) = item.split_once('→') else {
            return Err(format!("`{item}` is not of the form `a → b, c`"));
        };
        let to: BTreeSet<String> = to
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| s != "none" && !s.is_empty())
            .collect();
        edges.insert(from.trim().to_string(), to);
    }
    Ok(edges)
}

fn check_edges(
    doc: &Path,
    documented: &BTreeMap<String, BTreeSet<String>>,
    actual: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let crates: BTreeSet<&String> = documented.keys().chain(actual.keys()).collect();
    for c in crates {
        let (d, a) = match (documented.get(c), actual.get(c)) {
            (Some(d), Some(a)) => (d, a),
            (None, _) => {
                let why = format!("crate {c} is not on the Edges line");
                out.push(Violation::new(doc, "crate graph", why));
                continue;
            }
            (_, None) => {
                let why = format!("{c} is documented but is not a crate");
                out.push(Violation::new(doc, "crate graph", why));
                continue;
            }
        };
        for extra in a.difference(d) {
            out.push(Violation::new(
                doc,
                "crate graph",
                format!("{c} depends on {extra}, which the Edges line does not allow"),
            ));
        }
        for gone in d.difference(a) {
            out.push(Violation::new(
                doc,
                "crate graph",
                format!("the Edges line says {c} → {gone}, but {c} does not depend on it"),
            ));
        }
    }
    out
}

fn check_doc_header(file: &Path, text: &str) -> Option<Violation> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    (!first.starts_with("//!")).then(|| {
        Violation::new(
            file,
            "crate docs",
            "the file does not open with a `//!` comment",
        )
    })
}

/// `unsafe {` blocks and `unsafe impl`s need a `SAFETY:` comment on their line or in the
/// comment lines right above it. `unsafe fn` declarations state their contract in `# Safety`
/// docs instead, which rustdoc and clippy already check.
fn check_safety_comments(file: &Path, text: &str) -> Vec<Violation> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = code_of(line);
        let has_block = code.contains("unsafe {") || code.contains("unsafe impl");
        if !has_block || line.contains("SAFETY") {
            continue;
        }
        // Walk up over the comment lines (and a wrapped expression's first line) above.
        let mut ok = false;
        for above in lines[..i].iter().rev().take(6) {
            let t = above.trim();
            if t.contains("SAFETY") {
                ok = true;
                break;
            }
            if !(t.starts_with("//") || t.ends_with('=') || t.ends_with('(') || t.starts_with('#'))
            {
                break;
            }
        }
        if !ok {
            out.push(Violation::new(
                file,
                "unsafe",
                format!(
                    "line {}: unsafe without a `SAFETY:` comment above it",
                    i + 1
                ),
            ));
        }
    }
    out
}

/// A line without its comment and without the contents of its string literals.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let (mut in_str, mut escaped) = (false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

fn check_no_shared_path(file: &Path, text: &str) -> Option<Violation> {
    // Written split so that this rule's own source does not trip it.
    let needle = concat!("..", "/shared");
    text.contains(needle).then(|| {
        Violation::new(
            file,
            "data location",
            format!("names `{needle}`; take the data directory from the caller"),
        )
    })
}

fn check_lints(manifest: &Path, text: &str) -> Option<Violation> {
    let inherits = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("lints")?.get("workspace")?.as_bool())
        == Some(true);
    (!inherits).then(|| Violation::new(manifest, "lints", "missing `[lints] workspace = true`"))
}

/// `required`: the names of a library crate's normal, non-optional dependencies.
fn check_no_anyhow(manifest: &Path, required: &[&str]) -> Option<Violation> {
    required.contains(&"anyhow").then(|| {
            Violation::new(
                manifest,
                "typed errors",
                "a library crate depends on anyhow; use a thiserror type (anyhow only for binaries, behind an optional feature)",
            )
        })
}

/// A dependency counts as used when its library name appears as a path (`name::`) or in a
/// `use`/`extern crate` in any of the package's Rust files.
fn check_deps_used(manifest: &Path, deps: &[String], sources: &str) -> Vec<Violation> {
    deps.iter()
        .filter(|name| {
            let path = format!("{name}::");
            let used = sources.match_indices(&path).any(|(i, _)| {
                // A whole word: not the tail of another name (`my_serde::`).
                !sources[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            }) || sources.contains(&format!("use {name};"))
                || sources.contains(&format!("extern crate {name}"));
            !used
        })
        .map(|name| {
            Violation::new(
                manifest,
                "unused dependency",
                format!("`{name}` is declared but no code uses it"),
            )
        })
        .collect()
}

/// Every `.rs` file under `dir`, skipping build outputs and fuzz corpora, in a fixed order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_dir()
                && matches!(
                    name.as_ref(),
                    "target" | "corpus" | "artifacts" | "regressions"
                ))
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn the_tree_is_tidy() {
        let root = crate::project_root();
        let v = check_tree(&root).unwrap();
        assert!(v.is_empty(), "tidy violations: {v:#?}");
    }

    #[test]
    fn a_file_without_a_module_doc_is_caught() {
        assert!(check_doc_header(&p("a.rs"), "//! What this is.\nfn f() {}\n").is_none());
        assert!(check_doc_header(&p("a.rs"), "\n\n//! After blank lines.\n").is_none());
        assert!(check_doc_header(&p("a.rs"), "/// An item doc.\nfn f() {}\n").is_some());
        assert!(check_doc_header(&p("a.rs"), "use std::io;\n").is_some());
        assert!(check_doc_header(&p("a.rs"), "").is_some());
    }

    #[test]
    fn unsafe_without_safety_is_caught() {
        let ok =
            "//! x\n// SAFETY: the pointer came from `alloc` with this layout.\nunsafe { f() }\n";
        assert!(check_safety_comments(&p("a.rs"), ok).is_empty());
        let multi = "//! x\n// SAFETY: the caller checked AVX2,\n// and the slices are long enough.\nlet t = unsafe { g() };\n";
        assert!(check_safety_comments(&p("a.rs"), multi).is_empty());
        let same_line = "//! x\nlet m = unsafe { map() }; // SAFETY: read-only map\n";
        assert!(check_safety_comments(&p("a.rs"), same_line).is_empty());
        let bare = "//! x\nfn f() {\n    unsafe { g() }\n}\n";
        let v = check_safety_comments(&p("a.rs"), bare);
        assert_eq!(v.len(), 1);
        assert!(v[0].message.starts_with("line 3:"), "{v:?}");
        let imp = "//! x\n// Counts allocations.\nunsafe impl GlobalAlloc for C {}\n";
        assert_eq!(check_safety_comments(&p("a.rs"), imp).len(), 1);
        // A comment or a string that merely mentions the word does not count as code.
        assert!(check_safety_comments(&p("a.rs"), "//! x\n// no unsafe { here }\n").is_empty());
        assert!(check_safety_comments(&p("a.rs"), "//! x\nlet s = \"unsafe {\";\n").is_empty());
    }

    #[test]
    fn the_shared_path_is_caught() {
        let bad = format!("let d = \"{}{}/datasets\";", "..", "/shared");
        assert!(check_no_shared_path(&p("crates/a.rs"), &bad).is_some());
        assert!(check_no_shared_path(&p("crates/a.rs"), "let d = env(\"ML4A_DATA\");").is_none());
    }

    #[test]
    fn a_member_without_workspace_lints_is_caught() {
        let with = "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n";
        assert!(check_lints(&p("Cargo.toml"), with).is_none());
        assert!(check_lints(&p("Cargo.toml"), "[package]\nname = \"a\"\n").is_some());
        assert!(check_lints(&p("Cargo.toml"), "[lints]\nworkspace = false\n").is_some());
    }

    #[test]
    fn anyhow_in_a_library_is_caught() {
        assert!(check_no_anyhow(&p("Cargo.toml"), &["thiserror", "serde"]).is_none());
        assert!(check_no_anyhow(&p("Cargo.toml"), &["thiserror", "anyhow"]).is_some());
    }

    #[test]
    fn an_unused_dependency_is_caught() {
        let src = "use serde::Serialize;\nfn f() { rayon::join(|| 1, || 2); }\nuse md5;\n";
        let deps: Vec<String> = ["serde", "rayon", "md5", "tempfile", "base64"]
            .map(String::from)
            .to_vec();
        let v = check_deps_used(&p("Cargo.toml"), &deps, src);
        let names: Vec<&str> = v
            .iter()
            .map(|v| v.message.split('`').nth(1).unwrap())
            .collect();
        assert_eq!(names, ["tempfile", "base64"]);
        // The tail of a longer name does not count.
        let v = check_deps_used(&p("Cargo.toml"), &["serde".into()], "my_serde::x();");
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn the_documented_graph_must_match_the_manifests() {
        let doc =
            "# A\n\nEdges: `nn → tensor, atomicfile`; `tensor → none`; `atomicfile → none`.\n";
        let documented = documented_edges(doc).unwrap();
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut actual = BTreeMap::from([
            ("nn".to_string(), set(&["tensor", "atomicfile"])),
            ("tensor".to_string(), set(&[])),
            ("atomicfile".to_string(), set(&[])),
        ]);
        assert!(check_edges(&p("A.md"), &documented, &actual).is_empty());
        // An edge the document does not allow.
        actual.get_mut("tensor").unwrap().insert("nn".into());
        let v = check_edges(&p("A.md"), &documented, &actual);
        assert_eq!(v.len(), 1);
        assert!(v[0].message.contains("tensor depends on nn"), "{v:?}");
        // A documented edge that is gone, and a crate the document does not mention.
        actual.get_mut("tensor").unwrap().clear();
        actual.get_mut("nn").unwrap().remove("atomicfile");
        actual.insert("render".into(), set(&[]));
        let v = check_edges(&p("A.md"), &documented, &actual);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(documented_edges("no such line").is_err());
        assert!(documented_edges("Edges: `nn tensor`").is_err());
    }
}
