//! A team of threads that meet at a spinning barrier: what a training step split across cores
//! needs, twice per step, and what a pool's sleeping workers cannot give. Waking a sleeping
//! thread costs tens of microseconds on a virtual machine, as long as the whole step of a small
//! network; a spinning wait costs well under one. A wait that lasts longer than a step (the
//! machine is busy with other work, or the team waits for a slow callback) sleeps instead, so
//! that a waiting thread never takes a core from the one it waits for.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// How long a wait spins before it sleeps: longer than the serial part of a step even on a
/// busy machine, far shorter than a time slice. A time rather than a count of spins, because
/// one spin (`pause`) takes from a few to over a hundred cycles, by processor.
const SPIN_BEFORE_SLEEP: std::time::Duration = std::time::Duration::from_micros(100);

/// Spins between two looks at the clock.
const SPINS_PER_LOOK: u32 = 64;

/// A reusable barrier for a fixed number of threads, which any of them can abort.
#[derive(Debug)]
pub(crate) struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    aborted: AtomicBool,
    /// Threads asleep (or about to be) on `wake`; the last arrival wakes them only if any.
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl SpinBarrier {
    pub(crate) fn new(threads: usize) -> Self {
        SpinBarrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            aborted: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Wakes every sleeper. `SeqCst` on both sides: a sleeper counts itself before it checks
    /// the generation, and this reads the count after the generation moved, so one of the two
    /// sees the other and no wake-up is lost.
    fn wake_sleepers(&self) {
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_all();
        }
    }

    /// Waits until every thread has arrived; false if the barrier was aborted instead.
    pub(crate) fn wait(&self) -> bool {
        let generation = self.generation.load(Ordering::SeqCst);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::SeqCst);
            self.wake_sleepers();
            return !self.aborted.load(Ordering::Acquire);
        }
        let passed = || {
            self.generation.load(Ordering::SeqCst) != generation
                || self.aborted.load(Ordering::SeqCst)
        };
        // The clock is read only once the wait outlasts a first round of spins.
        let mut start = None;
        loop {
            for _ in 0..SPINS_PER_LOOK {
                if passed() {
                    return !self.aborted.load(Ordering::Acquire);
                }
                std::hint::spin_loop();
            }
            let start = *start.get_or_insert_with(std::time::Instant::now);
            if start.elapsed() > SPIN_BEFORE_SLEEP {
                break;
            }
            // Past the first round, offer the core between rounds: on a busy machine the
            // thread waited for may be queued behind this one on the same core.
            std::thread::yield_now();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        while !passed() {
            guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        drop(guard);
        !self.aborted.load(Ordering::Acquire)
    }

    /// Whether the barrier was aborted: a thread of the team panicked, or the run ended.
    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// Releases every waiting thread for good: each `wait` from now on returns false.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        // Under the lock, so that a thread between its check and its sleep cannot miss it.
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.wake.notify_all();
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
    fn a_late_thread_wakes_the_sleeping_ones() {
        let barrier = SpinBarrier::new(3);
        std::thread::scope(|s| {
            for late in [false, false, true] {
                let barrier = &barrier;
                s.spawn(move || {
                    for _ in 0..5 {
                        if late {
                            // Long past the spinning phase: the others are asleep.
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        assert!(barrier.wait());
                    }
                });
            }
        });
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
