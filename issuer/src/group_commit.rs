//! Group commit: concurrent callers (the HTTP service's credential requests) share one batch,
//! one transaction and one flush, instead of paying a flush each.
//!
//! Callers submit requests to a committer thread and wait for their answer. The thread takes
//! the oldest request waiting, and every other one waiting behind it (up to the committer's
//! batch limit), and for all of them
//! 1. issues the batch ([`Issuer::issue_batch`]'s steps 1–3: numbers and status entries,
//!    claims and signatures on every core, one transaction);
//! 2. runs each caller's `after_commit` step, if it gave one (the HTTP service records its
//!    access token as spent, or gives it back when the request was refused);
//! 3. signs a checkpoint of the log as it now stands, so that every credential of the batch
//!    comes with its inclusion proof;
//! 4. flushes once: what every caller wrote before submitting (a spent nonce), the batch, the
//!    callers' `after_commit` writes and the checkpoint are on disk together;
//! 5. answers each caller.
//!
//! No caller gets an answer before step 4 has completed. While one batch signs and flushes,
//! the next one gathers: the busier the service, the larger the batches and the fewer flushes
//! per credential. Callers wait on a channel each (an async task awaits it without holding a
//! thread), and the thread sleeps while nothing is submitted.

use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use dojang_vc::log_inclusion::LogInclusion;
use tokio::sync::oneshot;

use crate::issuance::{IssueRequest, IssuedCredential, Issuer};
use crate::signer::IssuerSigner;
use crate::IssuerError;

/// A credential issued through the group committer, with its inclusion proof.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The credential and its record.
    pub credential: IssuedCredential,
    /// Its log inclusion proof against the checkpoint signed for its batch; `None` when that
    /// checkpoint or proof could not be made (logged; the credential is issued all the same, and
    /// the proof can be fetched later).
    pub inclusion: Option<LogInclusion>,
}

/// What the committer has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Batches run (each one transaction and one flush).
    pub batches: u64,
    /// Requests answered, issued or refused.
    pub requests: u64,
    /// The largest batch so far.
    pub largest_batch: usize,
}

/// A caller's step between its batch's transaction and flush: told whether its credential was
/// issued, it writes what must be durable with it.
pub type AfterCommit = Box<dyn FnOnce(bool) + Send>;

/// The answer a caller waits for.
pub type Answer = oneshot::Receiver<Result<Committed, IssuerError>>;

/// A submitted request.
struct Job {
    request: IssueRequest,
    now: i64,
    after_commit: Option<AfterCommit>,
    reply: oneshot::Sender<Result<Committed, IssuerError>>,
}

/// The thread is gone (it panicked, or the committer is being dropped).
fn stopped() -> IssuerError {
    IssuerError::Corrupt {
        what: "issuer",
        reason: "the issuance thread stopped".into(),
    }
}

/// Shares transactions and flushes between concurrent issuances of one issuer, on a thread of
/// its own. Dropping it lets the thread finish the batch it runs, then joins it.
pub struct GroupCommitter {
    jobs: Option<mpsc::Sender<Job>>,
    stats: Arc<Mutex<CommitStats>>,
    max_batch: usize,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GroupCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommitter")
            .field("max_batch", &self.max_batch)
            .field("stats", &self.stats())
            .finish()
    }
}

impl GroupCommitter {
    /// Requests per batch for the HTTP service: a batch of 128 signs in about 10 ms on two cores,
    /// so a request at the back of a full queue waits a few batches, far inside the service's
    /// 10 s request timeout, while one flush is shared by up to 128 credentials (a flush costs
    /// about as much as signing five).
    pub const DEFAULT_MAX_BATCH: usize = 128;

    /// Starts the committer thread for `issuer`, running batches of at most `max_batch` requests
    /// (at least 1). Fails only when the thread cannot be started.
    pub fn start<S: IssuerSigner + 'static>(
        issuer: Arc<Issuer<S>>,
        max_batch: usize,
    ) -> std::io::Result<Self> {
        let max_batch = max_batch.max(1);
        let (jobs, queue) = mpsc::channel();
        let stats = Arc::new(Mutex::new(CommitStats::default()));
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("dojang-commit".into())
            .spawn(move || run(&issuer, &queue, max_batch, &thread_stats))?;
        Ok(Self {
            jobs: Some(jobs),
            stats,
            max_batch,
            thread: Some(thread),
        })
    }

    /// The batch limit.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// What the committer has done so far.
    pub fn stats(&self) -> CommitStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Submits `request`, to be issued at `now` (or at the latest `now` of its batch), and
    /// returns at once; the answer comes once its batch is on disk, with everything the caller
    /// wrote to the issuer's database before submitting. `after_commit`, if given, runs on the
    /// committer's thread after the batch's transaction and before its flush (see the module
    /// documentation).
    pub fn submit(
        &self,
        request: IssueRequest,
        now: i64,
        after_commit: Option<AfterCommit>,
    ) -> Answer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            request,
            now,
            after_commit,
            reply,
        };
        let refused = match &self.jobs {
            Some(jobs) => jobs.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = refused {
            if let Some(after_commit) = job.after_commit {
                after_commit(false);
            }
            let _ = job.reply.send(Err(stopped()));
        }
        answer
    }

    /// [`GroupCommitter::submit`] without an `after_commit` step, waiting for the answer.
    ///
    /// Blocks the calling thread: call it from a blocking thread, not an async task.
    pub fn issue(&self, request: IssueRequest, now: i64) -> Result<Committed, IssuerError> {
        self.submit(request, now, None)
            .blocking_recv()
            .unwrap_or_else(|_| Err(stopped()))
    }
}

impl Drop for GroupCommitter {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop once the queue is drained.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The committer thread: a batch at a time, until the committer is dropped. If a batch panics,
/// the thread ends; its callers, and every later one, are answered with an error (their reply
/// channels close), never left waiting.
fn run<S: IssuerSigner>(
    issuer: &Issuer<S>,
    queue: &mpsc::Receiver<Job>,
    max_batch: usize,
    stats: &Mutex<CommitStats>,
) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcomes = run_batch(issuer, &mut batch);
        {
            let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
            stats.batches += 1;
            stats.requests += batch.len() as u64;
            stats.largest_batch = stats.largest_batch.max(batch.len());
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // A caller that stopped waiting (its request timed out) is simply not told.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Steps 1–4 of the module documentation for `batch`: one outcome per job, in order.
fn run_batch<S: IssuerSigner>(
    issuer: &Issuer<S>,
    batch: &mut [Job],
) -> Vec<Result<Committed, IssuerError>> {
    let now = batch.iter().map(|j| j.now).max().unwrap_or_default();
    let requests: Vec<IssueRequest> = batch.iter().map(|j| j.request.clone()).collect();
    let mut after_commit: Vec<Option<AfterCommit>> =
        batch.iter_mut().map(|j| j.after_commit.take()).collect();
    let everyone = |e: IssuerError| (0..batch.len()).map(|_| Err(e.clone())).collect();
    let issued = match issuer.commit_batch(&requests, now) {
        Ok(issued) => issued,
        Err(e) => {
            for step in after_commit.iter_mut().filter_map(Option::take) {
                step(false);
            }
            // Flushed all the same: the callers' own writes are promised durable.
            let _ = issuer.flush();
            return everyone(e);
        }
    };
    for (step, outcome) in after_commit.iter_mut().zip(&issued) {
        if let Some(step) = step.take() {
            step(outcome.is_ok());
        }
    }
    let checkpoint = if issued.iter().any(Result::is_ok) {
        match issuer.stage_checkpoint(now) {
            Ok(checkpoint) => Some(checkpoint),
            Err(e) => {
                tracing::error!(code = e.code(), "no checkpoint for a batch of credentials");
                None
            }
        }
    } else {
        None
    };
    if let Err(e) = issuer.flush() {
        return everyone(e);
    }
    issued
        .into_iter()
        .map(|outcome| {
            outcome.map(|credential| {
                let inclusion = checkpoint.as_ref().and_then(|(token, size)| {
                    let index = credential.record.log_index?;
                    issuer
                        .inclusion_at(index, token, *size)
                        .map_err(|e| {
                            tracing::error!(
                                code = e.code(),
                                "no log inclusion proof for a new credential"
                            );
                        })
                        .ok()
                });
                Committed {
                    credential,
                    inclusion,
                }
            })
        })
        .collect()
}
