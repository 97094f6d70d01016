//! The CIFAR-10 `.tar.gz` from memory: gzip, tar headers, member sizes against the expansion
//! limit, then the members' content.
#![no_main]

use datasets::cifar10::from_archive_bytes;
use datasets::{LoadOptions, Split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = from_archive_bytes(data, &LoadOptions::default()) else {
        return;
    };
    for split in [Split::Train, Split::HeldOut, Split::Test] {
        let view = loaded.view(split);
        for (image, label) in view.iter() {
            assert_eq!(image.len(), 3072);
            assert!((label as usize) < view.num_classes());
        }
    }
});
