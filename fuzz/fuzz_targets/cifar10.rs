//! CIFAR-10 batches from memory: class names, five training batches and a test batch, cut from
//! the input, then read through.
#![no_main]

use datasets::Split;
use datasets::cifar10::{RECORD_LEN, from_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: 1 byte meta length, 6 x 2 bytes batch lengths, then a pool of bytes that the
    // meta and the batches are cut from (cyclically, so short inputs still fill records).
    let Some((head, pool)) = data.split_first_chunk::<13>() else {
        return;
    };
    let meta_len = (head[0] as usize).min(pool.len());
    let (meta, pool) = pool.split_at(meta_len);
    let mut offset = 0;
    let mut take = |sel: u16| -> Vec<u8> {
        // Top bit set: a whole number of records (0 to 3), so the fuzzer reaches the content
        // checks; otherwise any length, so it reaches the length check.
        let len = if sel & 0x8000 != 0 {
            (sel as usize & 3) * RECORD_LEN
        } else {
            sel as usize % (2 * RECORD_LEN + 7)
        };
        if pool.is_empty() {
            return vec![0; len];
        }
        let out = (0..len).map(|i| pool[(offset + i) % pool.len()]).collect();
        offset += len;
        out
    };
    let sels: Vec<u16> = head[1..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let train = [
        take(sels[0]),
        take(sels[1]),
        take(sels[2]),
        take(sels[3]),
        take(sels[4]),
    ];
    let test = take(sels[5]);
    let Ok(loaded) = from_bytes(meta, train, test) else {
        return;
    };
    for split in [Split::Train, Split::HeldOut, Split::Test] {
        let view = loaded.view(split);
        for (image, label) in view.iter() {
            assert_eq!(image.len(), 3072);
            assert!((label as usize) < view.num_classes());
        }
        let _ = view.class_counts();
    }
});
