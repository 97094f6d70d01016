//! Nothing to import: see `tour.rs`, which uses the toolkit's crates as a downstream user would
//! (`cargo run --release -p ml4a-examples --example tour -- DATA_DIR`).
