//! Batch filling in the training loop does not allocate: checked with a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use datasets::{BatchFiller, Dataset, InputScaling};
use tensor::Matrix;

/// Counts allocations made by threads that have switched counting on.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn filling_batches_does_not_allocate() {
    let shape = datasets::mnist::SHAPE;
    let n = 300;
    let pixels: Vec<u8> = (0..n * shape.len()).map(|i| (i * 31 % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let classes = (0..10).map(|k| k.to_string()).collect();
    let ds = Dataset::new(pixels, labels, classes, shape).unwrap();
    let view = ds.view(20..280);
    let stats = view.channel_stats();
    let batches: Vec<Vec<usize>> = (0..40)
        .map(|b| {
            // A short batch now and then, as at the end of an epoch.
            let size = if b % 7 == 6 { 10 } else { 64 };
            (0..size).map(|i| (b * 64 + i * 13) % view.len()).collect()
        })
        .collect();

    for norm in [
        InputScaling::UnitRange,
        InputScaling::ZeroCentred,
        InputScaling::Standardize(stats),
    ] {
        let filler = BatchFiller::new(shape, &norm);
        let mut x = Matrix::zeros(64, shape.len());
        let mut y = Vec::with_capacity(64);
        ALLOCATIONS.store(0, Ordering::Relaxed);
        COUNTING.with(|c| c.set(true));
        for idx in &batches {
            filler.fill(&view, idx, &mut x);
            view.gather_labels(idx, &mut y);
        }
        COUNTING.with(|c| c.set(false));
        assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0, "{norm:?}");
        // The last batch really was written.
        let last = batches.last().unwrap();
        assert_eq!(x.rows(), last.len());
        assert_eq!(x.get(3, 5), norm.apply(0, view.image(last[3])[5]));
        assert_eq!(y[3], view.label(last[3]));
    }
}
