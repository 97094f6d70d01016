//! A team of threads that meet at a spinning barrier: what a training step split across cores
//! needs, twice per step, and what a pool's sleeping workers cannot give. Waking a sleeping
//! thread costs tens of microseconds on a virtual machine, as long as the whole step of a small
//! network; a spinning wait costs well under one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Spins this many times before yielding the processor while waiting: a few tens of
/// microseconds, longer than the serial part of a step, shorter than any callback.
const SPINS_BEFORE_YIELD: u32 = 1 << 12;

/// A reusable barrier for a fixed number of threads, which any of them can abort.
#[derive(Debug)]
pub(crate) struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    aborted: AtomicBool,
}

impl SpinBarrier {
    pub(crate) fn new(threads: usize) -> Self {
        SpinBarrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            aborted: AtomicBool::new(false),
        }
    }

    /// Waits until every thread has arrived; false if the barrier was aborted instead.
    pub(crate) fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return !self.aborted.load(Ordering::Acquire);
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.aborted.load(Ordering::Acquire) {
                return false;
            }
            if spins < SPINS_BEFORE_YIELD {
                spins += 1;
                std::hint::spin_loop();
            } else {
                // Oversubscribed (more runnable threads than cores): let the others run.
                std::thread::yield_now();
            }
        }
        !self.aborted.load(Ordering::Acquire)
    }

    /// Releases every waiting thread for good: each `wait` from now on returns false.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    /// A guard that aborts the barrier if its thread unwinds, so that a panic on one thread
    /// cannot leave the others waiting forever.
    pub(crate) fn abort_on_unwind(&self) -> AbortOnUnwind<'_> {
        AbortOnUnwind(self)
    }
}

pub(crate) struct AbortOnUnwind<'a>(&'a SpinBarrier);

impl Drop for AbortOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_passes_each_round_together() {
        let barrier = SpinBarrier::new(3);
        let counter = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 0..100 {
                        counter.fetch_add(1, Ordering::SeqCst);
                        assert!(barrier.wait());
                        // Nobody starts round + 1 before everyone finished round.
                        assert!(counter.load(Ordering::SeqCst) >= 3 * (round + 1));
                        assert!(barrier.wait());
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), 300);
    }

    #[test]
    fn a_panicking_thread_releases_the_others() {
        let barrier = SpinBarrier::new(2);
        let result = std::thread::scope(|s| {
            let waiter = s.spawn(|| barrier.wait());
            let panicker = s.spawn(|| {
                let _guard = barrier.abort_on_unwind();
                panic!("a shard failed");
            });
            (waiter.join().unwrap(), panicker.join().is_err())
        });
        assert_eq!(result, (false, true));
    }
}
