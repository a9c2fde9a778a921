//! Responses that arrive together are answered together.
//!
//! A presentation's two Ed25519 signatures are most of what its verification costs, and many
//! signatures checked in one computation cost less each than one by one
//! ([`crate::verify_many`]; `dojang bench`'s `strict_batch_64` against `one_by_one_64`). A
//! loaded service has many responses waiting at any moment, so instead of one blocking task
//! each, responses go to a queue and [`workers`] threads (`verifier-answer`) each take
//! whatever is waiting, up to [`MAX_GATHERED`], and answer it in one go
//! ([`super::handlers::answer_requests`]). Nothing waits to be gathered: a worker that finds
//! one response answers one, as before, and an idle service answers at once; under load the
//! batches grow by themselves, with the queue, which is what makes each response cheaper just
//! when that counts.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use super::handlers::{answer_requests, Answered, Response3};
use super::{AppError, AppState};

/// Responses answered in one go, at most: their 64 signatures are one batch of
/// [`dojang_vc::VERIFY_BATCH`], past which the cost per signature levels off. Under the load
/// test half the batches of at most 16 were full (10.8 responses a batch on average); 32 cost
/// 0.95 of 16's CPU a response (`scripts/compare-load`, two pairs of 20 s: inside the noise).
/// A batch of 32 takes about two milliseconds of one core here, well inside the latency budget
/// (p99 under 20 ms).
pub(crate) const MAX_GATHERED: usize = 32;

/// Worker threads: half the cores, at least one. Verifying is about half of what a response
/// costs; the other half (HTTP, the flush) runs on the async runtime. On two cores one worker
/// beat two (`scripts/compare-load`, two pairs of 20 s: 0.897 of the CPU a response, p99 6.1
/// against 7.5 ms): fewer threads to hand work between, larger batches. Two workers of which
/// the second waits, while the first answers, for eight responses or half a millisecond did
/// worse still (1.152 of the CPU a response, 0.910 of the throughput). Under the load test the
/// one worker is busy 96% of the time while the machine has about a fifth of its CPU idle.
/// Making and storing each result's record on the async worker that received the response,
/// off this thread, did worse too (1.375 of the CPU a response, 0.770 of the throughput).
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (usize::from(n) / 2).max(1))
}

/// The queue of responses and its workers (see the module docs). The workers stop when this
/// is dropped.
pub(crate) struct Gather {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes a worker when a response is queued, or all of them to stop.
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    stop: bool,
}

struct Job {
    state: Arc<AppState>,
    response: Response3,
    reply: oneshot::Sender<Answered>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker: takes what is waiting, up to [`MAX_GATHERED`], and answers it, until stopped.
    fn run(&self) {
        loop {
            let jobs: Vec<Job> = {
                let mut queue = self.lock();
                while queue.jobs.is_empty() && !queue.stop {
                    queue = self
                        .wake
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if queue.jobs.is_empty() {
                    return;
                }
                let n = queue.jobs.len().min(MAX_GATHERED);
                queue.jobs.drain(..n).collect()
            };
            let Some(state) = jobs.first().map(|j| Arc::clone(&j.state)) else {
                continue;
            };
            let (responses, replies): (Vec<Response3>, Vec<oneshot::Sender<Answered>>) =
                jobs.into_iter().map(|j| (j.response, j.reply)).unzip();
            let answers = answer_requests(&state, responses);
            for (reply, answer) in replies.into_iter().zip(answers) {
                // The handler may have gone (its client hung up): nothing to tell.
                let _ = reply.send(answer);
            }
        }
    }
}

impl Gather {
    /// Starts the workers.
    pub(crate) fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        for _ in 0..workers() {
            let worker = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("verifier-answer".into())
                .spawn(move || worker.run())?;
        }
        Ok(Self { shared })
    }

    /// Answers one response with whatever else is waiting; the wait holds no thread.
    pub(crate) async fn answer(
        &self,
        state: Arc<AppState>,
        response: Response3,
    ) -> Result<Answered, AppError> {
        let (reply, answered) = oneshot::channel();
        {
            let mut queue = self.shared.lock();
            if queue.stop {
                return Err(AppError::Internal("the service is stopping".into()));
            }
            queue.jobs.push_back(Job {
                state,
                response,
                reply,
            });
        }
        self.shared.wake.notify_one();
        answered
            .await
            .map_err(|_| AppError::Internal("an answering thread stopped".into()))
    }
}

impl Drop for Gather {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
    }
}
