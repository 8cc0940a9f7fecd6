//! The bounded queue of batches between the collector and the sender thread. When it is
//! full, the collector waits for room until its next snapshot is due, then drops the
//! OLDEST batch: remote-write series are cumulative, so the newest snapshot carries
//! everything an older one did, and a receiver that comes back gets current values first.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::remote_write::RemoteWriteStats;
use crate::remote_write::batch::Batch;
use crate::store::lock;

#[derive(Default)]
struct State {
    batches: VecDeque<Batch>,
    stopped: bool,
}

pub(crate) struct Queue {
    state: Mutex<State>,
    /// Signalled on push, pop and stop.
    changed: Condvar,
    capacity: usize,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Queue {
        Queue {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds a batch, waiting for room until `deadline`; past it, drops the oldest batches
    /// (counted as `queue_full`). Returns false once stopped.
    pub(crate) fn push(&self, batch: Batch, deadline: Instant, stats: &RemoteWriteStats) -> bool {
        let mut state = lock(&self.state);
        while state.batches.len() >= self.capacity && !state.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if state.stopped {
            return false;
        }
        while state.batches.len() >= self.capacity {
            if let Some(oldest) = state.batches.pop_front() {
                stats.samples_dropped.add("queue_full", oldest.samples);
            }
        }
        state.batches.push_back(batch);
        stats.queue_batches.set(state.batches.len() as f64);
        self.changed.notify_all();
        true
    }

    /// The oldest batch, waiting for one; `None` once stopped.
    pub(crate) fn pop(&self, stats: &RemoteWriteStats) -> Option<Batch> {
        let mut state = lock(&self.state);
        loop {
            if state.stopped {
                return None;
            }
            if let Some(batch) = state.batches.pop_front() {
                stats.queue_batches.set(state.batches.len() as f64);
                self.changed.notify_all();
                return Some(batch);
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Sleeps until `deadline` unless stopped first; returns false once stopped.
    pub(crate) fn sleep_until(&self, deadline: Instant) -> bool {
        let mut state = lock(&self.state);
        while !state.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        false
    }

    /// [`sleep_until`](Queue::sleep_until) for a duration.
    pub(crate) fn sleep(&self, duration: Duration) -> bool {
        self.sleep_until(Instant::now() + duration)
    }

    /// Wakes every waiter for good; queued batches are discarded.
    pub(crate) fn stop(&self) {
        let mut state = lock(&self.state);
        state.stopped = true;
        state.batches.clear();
        self.changed.notify_all();
    }

    /// Batches waiting.
    pub(crate) fn len(&self) -> usize {
        lock(&self.state).batches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(samples: u64) -> Batch {
        Batch {
            body: vec![0; samples as usize],
            samples,
        }
    }

    #[test]
    fn full_queue_drops_the_oldest_after_the_deadline() {
        let stats = RemoteWriteStats::default();
        let queue = Queue::new(2);
        let now = Instant::now();
        for n in [1, 2, 3, 4] {
            assert!(queue.push(batch(n), now, &stats));
        }
        assert_eq!(stats.samples_dropped.get("queue_full"), 1 + 2);
        assert_eq!(stats.queue_batches.get(), 2.0);
        assert_eq!(queue.pop(&stats).unwrap().samples, 3);
        assert_eq!(queue.pop(&stats).unwrap().samples, 4);
        assert_eq!(stats.queue_batches.get(), 0.0);
    }

    #[test]
    fn a_full_queue_waits_for_the_sender_before_dropping() {
        let stats = RemoteWriteStats::default();
        let queue = Queue::new(1);
        assert!(queue.push(batch(1), Instant::now(), &stats));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                assert_eq!(queue.pop(&stats).unwrap().samples, 1);
            });
            let deadline = Instant::now() + Duration::from_secs(60);
            assert!(queue.push(batch(2), deadline, &stats));
        });
        assert_eq!(stats.samples_dropped.get("queue_full"), 0);
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn stop_wakes_waiters() {
        let stats = RemoteWriteStats::default();
        let queue = Queue::new(1);
        std::thread::scope(|scope| {
            let popper = scope.spawn(|| queue.pop(&stats).is_none());
            let sleeper = scope.spawn(|| queue.sleep(Duration::from_secs(60)));
            std::thread::sleep(Duration::from_millis(20));
            queue.stop();
            assert!(popper.join().unwrap());
            assert!(!sleeper.join().unwrap());
        });
        assert!(!queue.push(batch(1), Instant::now(), &stats));
    }
}
