//! Group flush: concurrent requests share the stores' flushes.
//!
//! A handler makes its writes (a request; a result), then awaits [`GroupFlush::durable`] before
//! it answers. Flushes run one at a time; a flush (the journals' `fdatasync`, and sled's flush
//! where a database of earlier versions is open) makes durable every write made before it
//! began, so:
//!
//! 1. a caller takes a ticket: the number of the next flush to *start* (a flush already running
//!    may have begun before the caller's writes, so it does not count);
//! 2. the flusher, a thread of its own, starts the next flush as soon as the previous one has
//!    ended and a ticket waits for one;
//! 3. the caller waits, asynchronously (no thread is held), until flush number `ticket` has
//!    ended, and goes on only if a flush numbered `ticket` or later succeeded.
//!
//! Under load one flush covers every request that wrote while the previous flush ran, instead of
//! one or two flushes a request; an idle service flushes at once. A write is never reported before
//! a flush that started after it has succeeded (CONVENTIONS 11).

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::store::StorageError;

/// The flush itself: the journals' syncs (and sled's `Db::flush`) in the service, a
/// stand-in in tests.
type FlushFn = dyn Fn() -> Result<(), String> + Send + Sync;

/// Flushes shared by concurrent writers (see the module docs), run by a thread of its own
/// (`verifier-flush`) that ends when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct GroupFlush {
    handle: Arc<Handle>,
}

/// Stops the flusher when dropped.
struct Handle {
    shared: Arc<Shared>,
}

struct Shared {
    flush: Box<FlushFn>,
    state: Mutex<State>,
    /// Wakes the flusher when a ticket waits, or to stop it.
    wake: Condvar,
    /// `(ended, last_ok)`: the number of the last flush that ended, and of the last that
    /// succeeded.
    done: watch::Sender<(u64, u64)>,
}

#[derive(Default)]
struct State {
    /// The highest ticket handed out.
    wanted: u64,
    /// The number of the flush running, or of the last one started.
    started: u64,
    /// The number of the last flush that ended.
    ended: u64,
    /// Set when the last handle is dropped.
    stop: bool,
}

impl GroupFlush {
    /// Group flushes that run `flush` on a thread of their own.
    pub(crate) fn new(flush: Box<FlushFn>) -> Result<Self, std::io::Error> {
        let (done, _) = watch::channel((0, 0));
        let shared = Arc::new(Shared {
            flush,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            done,
        });
        let flusher = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("verifier-flush".into())
            .spawn(move || flusher.run())?;
        Ok(Self {
            handle: Arc::new(Handle { shared }),
        })
    }

    /// Returns once every write made before the call is durable: after a flush that started
    /// after the call has succeeded. The wait holds no thread.
    pub(crate) async fn durable(&self) -> Result<(), StorageError> {
        let shared = &self.handle.shared;
        let mut done = shared.done.subscribe();
        let ticket = {
            let mut state = shared.lock();
            let ticket = state.started + 1;
            if state.wanted < ticket {
                state.wanted = ticket;
                shared.wake.notify_one();
            }
            ticket
        };
        let (_, last_ok) = *done
            .wait_for(|&(ended, _)| ended >= ticket)
            .await
            .map_err(|_| StorageError("the flusher stopped".into()))?;
        if last_ok >= ticket {
            Ok(())
        } else {
            Err(StorageError("flushing the database failed".into()))
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The flusher: waits for a ticket no flush has started for, flushes, repeats; ends when
    /// the last handle is gone.
    fn run(&self) {
        loop {
            let number = {
                let mut state = self.lock();
                while state.wanted <= state.ended && !state.stop {
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if state.wanted <= state.ended {
                    return;
                }
                state.started = state.ended + 1;
                state.started
            };
            let ok = match (self.flush)() {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, "flushing the database failed");
                    false
                }
            };
            self.lock().ended = number;
            self.done.send_modify(|(ended, last_ok)| {
                *ended = number;
                if ok {
                    *last_ok = number;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    use super::*;

    /// A stand-in database: writes are numbered; a flush makes durable the writes made before it
    /// started, after a pause long enough for others to pile up behind it.
    #[derive(Default)]
    struct Fake {
        written: AtomicU64,
        durable: AtomicU64,
        flushes: AtomicU64,
        fail_next: AtomicBool,
    }

    impl Fake {
        fn group(self: &Arc<Self>) -> GroupFlush {
            let fake = Arc::clone(self);
            let group = GroupFlush::new(Box::new(move || {
                let covered = fake.written.load(Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                fake.flushes.fetch_add(1, Ordering::SeqCst);
                if fake.fail_next.swap(false, Ordering::SeqCst) {
                    return Err("disk full".into());
                }
                fake.durable.fetch_max(covered, Ordering::SeqCst);
                Ok(())
            }));
            group.unwrap()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_writer_waits_for_a_flush_that_covers_its_write_and_writers_share_flushes() {
        let fake = Arc::new(Fake::default());
        let group = fake.group();
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let (fake, group) = (Arc::clone(&fake), group.clone());
            tasks.push(tokio::spawn(async move {
                let mine = fake.written.fetch_add(1, Ordering::SeqCst) + 1;
                group.durable().await.unwrap();
                // Reported only once durable: a flush that started after the write covered it.
                assert!(fake.durable.load(Ordering::SeqCst) >= mine);
            }));
            if tasks.len() % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let flushes = fake.flushes.load(Ordering::SeqCst);
        assert!(flushes >= 1);
        assert!(
            flushes < 100,
            "{flushes} flushes for 200 writers: not shared"
        );
        // The flusher is idle once nobody waits.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let state = group.handle.shared.lock();
        assert_eq!(state.ended, state.wanted);
    }

    #[tokio::test]
    async fn the_flusher_thread_ends_with_the_last_handle() {
        let fake = Arc::new(Fake::default());
        let group = fake.group();
        let copy = group.clone();
        let mut done = group.handle.shared.done.subscribe();
        drop(group);
        copy.durable().await.unwrap();
        drop(copy);
        // The thread returns and drops the sender: the receiver sees the channel closed.
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while done.changed().await.is_ok() {}
        })
        .await;
        assert!(closed.is_ok(), "the flusher thread is still running");
    }

    #[tokio::test]
    async fn a_lone_writer_gets_a_flush_of_its_own_each_time() {
        let fake = Arc::new(Fake::default());
        let group = fake.group();
        for n in 1..=3 {
            fake.written.fetch_add(1, Ordering::SeqCst);
            group.durable().await.unwrap();
            assert_eq!(fake.flushes.load(Ordering::SeqCst), n);
            assert_eq!(fake.durable.load(Ordering::SeqCst), n);
        }
    }

    #[tokio::test]
    async fn a_failed_flush_fails_its_writers_and_the_next_flush_serves_the_next() {
        let fake = Arc::new(Fake::default());
        let group = fake.group();
        fake.written.fetch_add(1, Ordering::SeqCst);
        fake.fail_next.store(true, Ordering::SeqCst);
        assert!(group.durable().await.is_err());
        assert_eq!(fake.durable.load(Ordering::SeqCst), 0);
        fake.written.fetch_add(1, Ordering::SeqCst);
        group.durable().await.unwrap();
        assert_eq!(fake.durable.load(Ordering::SeqCst), 2);
    }
}
