//! Journals: records written once, appended to files, found through an index in memory.
//!
//! The service keeps two: the requests it made (`requests/`) and the results of the responses
//! (`results/`). A request is written once, read by the wallet (its signed request object) and
//! by the response; a result is written once and read back a few times within minutes; both
//! are deleted oldest first, when nobody needs them any more. An append-only file fits that
//! use: a record costs one `write` and a share of the next group flush's `fdatasync`
//! ([`super::flush`]). Measured under the service's load test, a result stored in sled (a
//! compare-and-swap and a completion-index insert, and sled's own log work behind them) took
//! about a fifth of the service's CPU, and sled's memory (its page cache, the node copies
//! behind it and 21 MB of metric histograms it allocates whether or not metrics are on) was
//! most of the service's (`README.md`, "The verifier service against its target").
//!
//! ## Files
//! A journal is a directory of segments named by number (`0000000001.results`, …), each
//! written from its start to its end and never rewritten. A new segment starts when the current
//! one holds [`SEGMENT_SECONDS`] of records or [`SEGMENT_BYTES`]. A record is
//!
//! ```text
//! length   u32, little-endian: bytes of the payload
//! check    the first 8 bytes of SHA-256(payload)
//! payload  id length (u8), id, time (i64, little-endian seconds), bytes
//! ```
//!
//! The time is what the retention sweep orders by: a result's completion, a request's expiry.
//!
//! ## Index
//! At open every segment is read once, to build the index: the location of each record by a
//! 64-bit keyed hash of its id (about 20 bytes a record in memory), and by the id itself for
//! the rare id whose hash another id has. A record that is cut short or fails its check is
//! where its segment ends: a crash during a write leaves at most the writes no flush had
//! covered, and none of them was acknowledged; the segment is truncated there. Each segment
//! counts its records still in the index.
//!
//! ## One record per id
//! [`Journal::append`] checks the index and appends under one lock: of two writers of one id,
//! exactly one writes. For results that is one response per request, which is what spends a
//! request's nonce.
//!
//! ## Retention
//! [`Journal::sweep`] visits records in bounded batches, oldest first, up to the first whose
//! time is not yet due, and asks the caller about each one still in the index: drop it (out of
//! the index: it cannot be read any more) or keep it (someone drops it later with
//! [`Journal::remove`]). A segment's file goes once no record of it is in the index and a newer
//! segment takes the appends, after the caller has made durable what it wrote while deciding.
//! Dropping is not written anywhere: a crash before the file goes brings the segment's records
//! back at the next open, and the sweep drops them again; the caller's rules for what may be
//! dropped (`store.rs`) make that harmless. A record's bytes stay on disk, unreadable through
//! the service, at most [`SEGMENT_SECONDS`] past the time the last record of its segment left
//! the index.
//!
//! An id written again after it was removed (a tombstone, `store.rs`) has its later record
//! read at open, the earlier one out of the index.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::hash::BuildHasher;
use std::io::{BufReader, ErrorKind, Read};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

use super::store::StorageError;

/// Seconds of records a segment holds: a segment's file is deleted whole, so a record's bytes
/// stay on disk at most this long past the time its segment's last record left the index.
pub(crate) const SEGMENT_SECONDS: i64 = 60;

/// Bytes a segment holds at most: offsets stay within 32 bits, and at about a kilobyte a
/// record a minute of a busy service's records fits.
pub(crate) const SEGMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes of a record's payload at most: an id of at most 255 bytes and a packed result or a
/// request with its signed object far under the service's 4 MiB bound on a result's JSON; a
/// larger length is corruption.
const MAX_PAYLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Bytes before a record's payload: its length and its check.
const HEADER_BYTES: usize = 12;

/// What a journal holds: the names of its files and of its records in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    /// What the file names of segments end with.
    suffix: &'static str,
    /// What a record is, in messages and the log.
    record: &'static str,
}

/// The results of responses, by request id; the time is the completion.
pub(crate) const RESULTS: Kind = Kind {
    suffix: ".results",
    record: "result",
};

/// The requests made, by id; the time is the expiry.
pub(crate) const REQUESTS: Kind = Kind {
    suffix: ".requests",
    record: "request",
};

/// Where a record is: its segment's number and its offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    segment: u32,
    offset: u32,
}

/// One segment file.
struct Segment {
    file: Arc<File>,
    path: PathBuf,
    /// Bytes written.
    len: u64,
    /// Times of its first and newest records.
    oldest: i64,
    newest: i64,
    /// No more appends: a newer segment exists, or the sweep took it.
    sealed: bool,
    /// Offset up to which the sweep has visited its records.
    swept: u64,
    /// Its records in the index.
    live: usize,
}

impl Segment {
    /// A segment of no records yet, taking appends.
    fn empty(file: File, path: PathBuf) -> Self {
        Self {
            file: Arc::new(file),
            path,
            len: 0,
            oldest: i64::MAX,
            newest: i64::MIN,
            sealed: false,
            swept: 0,
            live: 0,
        }
    }
}

/// A journal (see the module docs). `S` hashes ids for the index: keyed with a random key in
/// the service, so that no one can choose ids that collide.
pub(crate) struct Journal<S = RandomState> {
    dir: PathBuf,
    kind: Kind,
    hasher: S,
    inner: Mutex<Inner>,
}

struct Inner {
    segments: BTreeMap<u32, Segment>,
    /// Records by the hash of their id.
    index: HashMap<u64, Loc>,
    /// Records whose id hashes as another record's id did when it was written.
    overflow: HashMap<String, Loc>,
    /// Segments written to since the last sync.
    unsynced: Vec<u32>,
    /// Whether a segment was created since the last sync (the directory then needs one).
    dir_unsynced: bool,
    /// The next record, built here to make one write.
    scratch: Vec<u8>,
    /// The number of the next segment: numbers are not reused while the service runs.
    next: u32,
}

impl Inner {
    /// A record at `loc` left the index.
    fn dead(&mut self, loc: Loc) {
        if let Some(segment) = self.segments.get_mut(&loc.segment) {
            segment.live = segment.live.saturating_sub(1);
        }
    }

    /// Drops `id` from the index if it is indexed at `loc`.
    fn drop_at(&mut self, hash: u64, id: &str, loc: Loc) {
        if self.overflow.get(id) == Some(&loc) {
            self.overflow.remove(id);
        } else if self.index.get(&hash) == Some(&loc) {
            self.index.remove(&hash);
        } else {
            return;
        }
        self.dead(loc);
    }

    /// Whether `id` is indexed at `loc`.
    fn indexed_at(&self, hash: u64, id: &str, loc: Loc) -> bool {
        self.overflow.get(id) == Some(&loc) || self.index.get(&hash) == Some(&loc)
    }
}

/// A record read back.
struct Record {
    id: String,
    time: i64,
    bytes: Vec<u8>,
    /// Bytes of the whole record.
    len: u64,
}

/// What the caller of [`Journal::sweep`] wants done with a due record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// Out of the index.
    Drop,
    /// Left in the index (the caller removes it later); the sweep goes on past it.
    Keep,
}

/// What one sweep batch of a journal did ([`Journal::sweep`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JournalSweep {
    /// Records dropped from the index.
    pub(crate) dropped: usize,
    /// Records visited in all, dropped or not.
    pub(crate) visited: usize,
    /// Segment files deleted.
    pub(crate) files: usize,
    /// Whether more was due than the batch's limit allowed.
    pub(crate) more: bool,
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> StorageError {
    StorageError(format!("{what} {}: {e}", path.display()))
}

fn loc_at(segment: u32, offset: u64, path: &Path) -> Result<Loc, StorageError> {
    Ok(Loc {
        segment,
        // Segments stay under SEGMENT_BYTES, far inside 32 bits.
        offset: u32::try_from(offset)
            .map_err(|_| StorageError(format!("{} is too large", path.display())))?,
    })
}

impl Journal {
    /// Opens the journal of `kind` in `dir` (made if missing), reading every segment to build
    /// the index.
    pub(crate) fn open(dir: &Path, kind: Kind) -> Result<Self, StorageError> {
        Self::open_with(dir, kind, RandomState::new())
    }
}

impl<S: BuildHasher> Journal<S> {
    /// [`Journal::open`] with `hasher` for the index.
    fn open_with(dir: &Path, kind: Kind, hasher: S) -> Result<Self, StorageError> {
        // Results hold personal data (names, addresses), requests the nonces: the directory
        // and its files are the service's own.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io("creating", dir, &e))?;
        let mut numbers = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io("listing", dir, &e))? {
            let entry = entry.map_err(|e| io("listing", dir, &e))?;
            let name = entry.file_name();
            let Some(number) = name
                .to_str()
                .and_then(|n| n.strip_suffix(kind.suffix))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            numbers.push(number);
        }
        numbers.sort_unstable();
        let journal = Self {
            dir: dir.to_owned(),
            kind,
            hasher,
            inner: Mutex::new(Inner {
                segments: BTreeMap::new(),
                index: HashMap::new(),
                overflow: HashMap::new(),
                unsynced: Vec::new(),
                dir_unsynced: false,
                scratch: Vec::new(),
                next: numbers.last().map_or(1, |n| n.saturating_add(1)),
            }),
        };
        {
            let mut inner = journal.lock();
            let last = numbers.last().copied();
            for number in numbers {
                journal.load(&mut inner, number)?;
            }
            // Only the newest segment takes appends.
            for (number, segment) in &mut inner.segments {
                segment.sealed = Some(*number) != last;
            }
        }
        Ok(journal)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn path(&self, number: u32) -> PathBuf {
        self.dir.join(format!("{number:010}{}", self.kind.suffix))
    }

    /// Reads segment `number` into the index (and `inner.segments`), truncating it after its
    /// last whole record.
    fn load(&self, inner: &mut Inner, number: u32) -> Result<(), StorageError> {
        let path = self.path(number);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io("opening", &path, &e))?;
        let size = file.metadata().map_err(|e| io("reading", &path, &e))?.len();
        let mut reader = BufReader::with_capacity(64 * 1024, &file);
        let handle = file.try_clone().map_err(|e| io("opening", &path, &e))?;
        inner
            .segments
            .insert(number, Segment::empty(handle, path.clone()));
        let mut len = 0;
        while let Some(record) = read_record(&mut reader)? {
            let loc = loc_at(number, len, &path)?;
            len += record.len;
            if let Some(segment) = inner.segments.get_mut(&number) {
                segment.len = len;
                segment.live += 1;
                segment.oldest = segment.oldest.min(record.time);
                segment.newest = segment.newest.max(record.time);
            }
            self.insert(inner, &record.id, loc)?;
        }
        if len < size {
            tracing::warn!(
                segment = %path.display(),
                kept = len,
                dropped = size - len,
                "a {} segment ends in an incomplete record (a write no flush covered); truncated",
                self.kind.record
            );
            file.set_len(len)
                .and_then(|()| file.sync_data())
                .map_err(|e| io("truncating", &path, &e))?;
        }
        Ok(())
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// Adds `id` at `loc` to the index, at open. A later record of an id replaces the earlier
    /// (a record written after its id was removed: a tombstone, `store.rs`), which leaves the
    /// index.
    fn insert(&self, inner: &mut Inner, id: &str, loc: Loc) -> Result<(), StorageError> {
        let hash = self.hash(id);
        let earlier = match inner.index.entry(hash) {
            Entry::Vacant(v) => {
                v.insert(loc);
                return Ok(());
            }
            Entry::Occupied(o) => *o.get(),
        };
        if self.read_at(inner, earlier)?.id == id {
            inner.index.insert(hash, loc);
            inner.dead(earlier);
        } else if let Some(earlier) = inner.overflow.insert(id.to_owned(), loc) {
            inner.dead(earlier);
        }
        Ok(())
    }

    /// Where the record of `id` is, if it is in the index, and the record.
    fn find(&self, inner: &Inner, id: &str) -> Result<Option<(Loc, Record)>, StorageError> {
        let loc = match inner.overflow.get(id) {
            Some(loc) => loc,
            None => match inner.index.get(&self.hash(id)) {
                Some(loc) => loc,
                None => return Ok(None),
            },
        };
        // Another id with the same hash is possible; the record says whose it is.
        let record = self.read_at(inner, *loc)?;
        Ok((record.id == id).then_some((*loc, record)))
    }

    fn read_at(&self, inner: &Inner, loc: Loc) -> Result<Record, StorageError> {
        let segment = inner.segments.get(&loc.segment).ok_or_else(|| {
            StorageError(format!(
                "the index names a deleted {} segment",
                self.kind.record
            ))
        })?;
        read_record_at(&segment.file, u64::from(loc.offset))
            .map_err(|e| StorageError(format!("{}: {}", segment.path.display(), e.0)))?
            .ok_or_else(|| {
                StorageError(format!(
                    "{}: the index names a missing record",
                    segment.path.display()
                ))
            })
    }

    /// Whether `id` has a record.
    pub(crate) fn contains(&self, id: &str) -> Result<bool, StorageError> {
        let inner = self.lock();
        Ok(self.find(&inner, id)?.is_some())
    }

    /// The bytes of the record of `id`, if it has one.
    pub(crate) fn get(&self, id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let inner = self.lock();
        Ok(self.find(&inner, id)?.map(|(_, record)| record.bytes))
    }

    /// Drops the record of `id` from the index: `false` if it had none. Not durable: a crash
    /// brings the record back until its segment's file is deleted (module docs).
    pub(crate) fn remove(&self, id: &str) -> Result<bool, StorageError> {
        let mut inner = self.lock();
        let Some((loc, _)) = self.find(&inner, id)? else {
            return Ok(false);
        };
        inner.drop_at(self.hash(id), id, loc);
        Ok(true)
    }

    /// Appends `bytes` as the record of `id` at `time`, unless `id` has one: `Ok(false)` then,
    /// and nothing written. Durable after [`Journal::sync`].
    pub(crate) fn append(&self, id: &str, time: i64, bytes: &[u8]) -> Result<bool, StorageError> {
        let id_len = u8::try_from(id.len())
            .map_err(|_| StorageError("an id longer than 255 bytes".into()))?;
        let payload_len = 1 + id.len() + 8 + bytes.len();
        if payload_len > MAX_PAYLOAD_BYTES {
            return Err(StorageError(format!(
                "a {} of {} bytes is over the journal's bound",
                self.kind.record,
                bytes.len()
            )));
        }
        let mut inner = self.lock();
        let hash = self.hash(id);
        let taken = match inner.index.get(&hash) {
            None => false,
            Some(loc) => {
                if self.read_at(&inner, *loc)?.id == id {
                    return Ok(false);
                }
                true
            }
        };
        if inner.overflow.contains_key(id) {
            return Ok(false);
        }
        let number = self.writable_segment(&mut inner, time, payload_len)?;
        let inner = &mut *inner;
        let segment = inner
            .segments
            .get_mut(&number)
            .ok_or_else(|| StorageError(format!("the {} segment vanished", self.kind.record)))?;
        let offset = segment.len;
        let scratch = &mut inner.scratch;
        scratch.clear();
        scratch.extend_from_slice(&(payload_len as u32).to_le_bytes());
        scratch.extend_from_slice(&[0; 8]);
        scratch.push(id_len);
        scratch.extend_from_slice(id.as_bytes());
        scratch.extend_from_slice(&time.to_le_bytes());
        scratch.extend_from_slice(bytes);
        let check = Sha256::digest(&scratch[HEADER_BYTES..]);
        scratch[4..HEADER_BYTES].copy_from_slice(&check[..8]);
        if let Err(e) = segment.file.write_all_at(scratch, offset) {
            // Whatever part reached the file is overwritten by the next record, or cut at the
            // next open: the length stays where it was.
            return Err(io("writing", &segment.path, &e));
        }
        segment.len += scratch.len() as u64;
        segment.oldest = segment.oldest.min(time);
        segment.newest = segment.newest.max(time);
        segment.live += 1;
        let loc = loc_at(number, offset, &segment.path)?;
        if !inner.unsynced.contains(&number) {
            inner.unsynced.push(number);
        }
        if taken {
            inner.overflow.insert(id.to_owned(), loc);
        } else {
            inner.index.insert(hash, loc);
        }
        Ok(true)
    }

    /// The number of the segment that takes the next record, started if needed.
    fn writable_segment(
        &self,
        inner: &mut Inner,
        time: i64,
        payload_len: usize,
    ) -> Result<u32, StorageError> {
        if let Some((&number, segment)) = inner.segments.iter_mut().next_back() {
            let full = segment.len + (HEADER_BYTES + payload_len) as u64 > SEGMENT_BYTES;
            let old = segment.len > 0 && time - segment.oldest >= SEGMENT_SECONDS;
            if !segment.sealed && !full && !old {
                return Ok(number);
            }
            segment.sealed = true;
        }
        let number = inner.next;
        inner.next = number
            .checked_add(1)
            .ok_or_else(|| StorageError(format!("{} segment numbers ran out", self.kind.record)))?;
        let path = self.path(number);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io("creating", &path, &e))?;
        inner.segments.insert(number, Segment::empty(file, path));
        inner.dir_unsynced = true;
        Ok(number)
    }

    /// Makes every append made before the call durable: `fdatasync` of the segments written
    /// since the last sync, and of the directory if a segment was created. Run by the group
    /// flusher, one at a time; appends go on meanwhile.
    pub(crate) fn sync(&self) -> Result<(), String> {
        let (numbers, files, dir) = {
            let mut inner = self.lock();
            let numbers = std::mem::take(&mut inner.unsynced);
            let files: Vec<(Arc<File>, PathBuf)> = numbers
                .iter()
                .filter_map(|n| inner.segments.get(n))
                .map(|s| (Arc::clone(&s.file), s.path.clone()))
                .collect();
            (numbers, files, std::mem::take(&mut inner.dir_unsynced))
        };
        let result = (|| {
            for (file, path) in &files {
                file.sync_data()
                    .map_err(|e| format!("syncing {}: {e}", path.display()))?;
            }
            if dir {
                File::open(&self.dir)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| format!("syncing {}: {e}", self.dir.display()))?;
            }
            Ok(())
        })();
        if result.is_err() {
            // Tried again by the next sync: its writers must not be told they are durable.
            let mut inner = self.lock();
            inner.dir_unsynced |= dir;
            for n in numbers {
                if !inner.unsynced.contains(&n) {
                    inner.unsynced.push(n);
                }
            }
        }
        result
    }

    /// One bounded batch of the retention sweep (module docs): visits, oldest first, at most
    /// `limit` records whose time is at or before `before` (a segment's records are in the
    /// order they were appended, so the sweep stops at the first that is not due), asks
    /// `decide` about each one still in the index and drops those it says to drop. A segment
    /// that no longer takes appends and has no record left in the index goes, file and all,
    /// after `make_durable` (what the caller wrote in `decide` must be on disk before the
    /// records that called for it are). `decide` and `make_durable` run without the journal's
    /// lock.
    pub(crate) fn sweep(
        &self,
        before: i64,
        limit: usize,
        mut decide: impl FnMut(&str) -> Result<Due, StorageError>,
        mut make_durable: impl FnMut() -> Result<(), StorageError>,
    ) -> Result<JournalSweep, StorageError> {
        let mut done = JournalSweep::default();
        let numbers: Vec<u32> = self.lock().segments.keys().copied().collect();
        for number in numbers {
            // The segment; sealed once its newest record is due, so that it can go.
            let segment = {
                let mut inner = self.lock();
                inner.segments.get_mut(&number).map(|s| {
                    if s.newest <= before {
                        s.sealed = true;
                    }
                    (Arc::clone(&s.file), s.path.clone(), s.swept, s.len, s.live)
                })
            };
            let Some((file, path, from, len, live)) = segment else {
                continue;
            };
            // Records not yet visited, up to the first not due or the batch's limit.
            let mut due = Vec::new();
            let mut offset = if live == 0 { len } else { from };
            let mut stopped = false;
            while offset < len {
                if done.visited + due.len() == limit {
                    done.more = true;
                    stopped = true;
                    break;
                }
                let record = read_record_at(&file, offset)?.ok_or_else(|| {
                    StorageError(format!("{}: a record is missing", path.display()))
                })?;
                if record.time > before {
                    stopped = true;
                    break;
                }
                due.push((record.id, loc_at(number, offset, &path)?));
                offset += record.len;
            }
            // The caller's word on each record still in the index.
            let mut drop = Vec::new();
            for (id, loc) in due {
                let hash = self.hash(&id);
                if self.lock().indexed_at(hash, &id, loc) && decide(&id)? == Due::Drop {
                    drop.push((hash, id, loc));
                }
                done.visited += 1;
            }
            let empty = {
                let mut inner = self.lock();
                for (hash, id, loc) in &drop {
                    inner.drop_at(*hash, id, *loc);
                }
                done.dropped += drop.len();
                inner.segments.get_mut(&number).is_some_and(|s| {
                    s.swept = s.swept.max(offset);
                    s.sealed && s.live == 0
                })
            };
            if empty {
                make_durable()?;
                // Sealed and empty: nothing can come back into it meanwhile.
                self.lock().segments.remove(&number);
                match std::fs::remove_file(&path) {
                    Ok(()) => done.files += 1,
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io("deleting", &path, &e)),
                }
            }
            if stopped {
                break;
            }
        }
        Ok(done)
    }

    /// Records in the index (for tests and health figures).
    #[cfg(test)]
    fn len(&self) -> usize {
        let inner = self.lock();
        inner.index.len() + inner.overflow.len()
    }
}

/// Reads the record at `offset`: `None` at the end of the file or where a record is cut short
/// or fails its check.
fn read_record_at(file: &File, offset: u64) -> Result<Option<Record>, StorageError> {
    read_record(&mut At { file, offset })
}

/// A file read from an offset on, with `pread`: no shared file position to move.
struct At<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Reads the next record from `reader`: `None` at the end or where a record is cut short or
/// fails its check.
fn read_record(reader: &mut impl Read) -> Result<Option<Record>, StorageError> {
    let mut header = [0u8; HEADER_BYTES];
    if !read_fully(reader, &mut header)? {
        return Ok(None);
    }
    let Some(len) = payload_len(&header) else {
        return Ok(None);
    };
    let mut payload = vec![0u8; len];
    if !read_fully(reader, &mut payload)? {
        return Ok(None);
    }
    Ok(parse_record(&header, payload))
}

/// Fills `buf`; `false` if the input ends first.
fn read_fully(reader: &mut impl Read, buf: &mut [u8]) -> Result<bool, StorageError> {
    match reader.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(StorageError(format!("reading a segment: {e}"))),
    }
}

/// A header's payload length, if it is one a record can have.
fn payload_len(header: &[u8; HEADER_BYTES]) -> Option<usize> {
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    (10..=MAX_PAYLOAD_BYTES).contains(&len).then_some(len)
}

/// The record of a header and its payload, if the check matches and the payload is whole.
fn parse_record(header: &[u8; HEADER_BYTES], payload: Vec<u8>) -> Option<Record> {
    if Sha256::digest(&payload)[..8] != header[4..] {
        return None;
    }
    let (&id_len, rest) = payload.split_first()?;
    let id = rest.get(..usize::from(id_len))?;
    let time = rest.get(usize::from(id_len)..usize::from(id_len) + 8)?;
    let time = i64::from_le_bytes(time.try_into().ok()?);
    let id = std::str::from_utf8(id).ok()?.to_owned();
    let start = 1 + usize::from(id_len) + 8;
    let len = (HEADER_BYTES + payload.len()) as u64;
    let mut bytes = payload;
    bytes.drain(..start);
    Some(Record {
        id,
        time,
        bytes,
        len,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::cell::RefCell;
    use std::hash::{BuildHasherDefault, Hasher};
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// Every id hashes alike: each id after the first is a collision.
    #[derive(Default)]
    struct Colliding;

    impl Hasher for Colliding {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn open(dir: &Path) -> Journal {
        Journal::open(dir, RESULTS).unwrap()
    }

    /// One sweep batch of up to ten records due at or before `before`, each dropped: the ids
    /// handed out, and what the batch did.
    fn sweep_due<S: BuildHasher>(journal: &Journal<S>, before: i64) -> (Vec<String>, JournalSweep) {
        let mut dropped = Vec::new();
        let swept = journal
            .sweep(
                before,
                10,
                |id| {
                    dropped.push(id.to_owned());
                    Ok(Due::Drop)
                },
                || Ok(()),
            )
            .unwrap();
        (dropped, swept)
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_record_is_written_once_and_read_back_after_a_reopen() {
        // A directory the journal makes.
        let root = tempfile::tempdir().unwrap();
        let dir = &root.path().join("results");
        let journal = open(dir);
        assert!(!journal.contains("a").unwrap());
        assert!(journal.append("a", 100, b"first").unwrap());
        assert!(journal.append("b", 101, b"other").unwrap());
        // Results are personal data: the service's own files.
        let mode = |p: &Path| p.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir), 0o700);
        assert_eq!(mode(&dir.join("0000000001.results")), 0o600);
        let size = std::fs::metadata(dir.join("0000000001.results"))
            .unwrap()
            .len();
        // A second record for the same id is refused and writes nothing.
        assert!(!journal.append("a", 102, b"second").unwrap());
        assert_eq!(
            std::fs::metadata(dir.join("0000000001.results"))
                .unwrap()
                .len(),
            size
        );
        assert_eq!(journal.get("a").unwrap().unwrap(), b"first");
        assert!(journal.get("c").unwrap().is_none());
        journal.sync().unwrap();
        drop(journal);

        let journal = open(dir);
        assert_eq!(journal.len(), 2);
        assert_eq!(journal.get("b").unwrap().unwrap(), b"other");
        assert!(!journal.append("a", 103, b"third").unwrap());
        // Appends go on in the same segment, after its records.
        assert!(journal.append("c", 104, b"new").unwrap());
        assert_eq!(files(dir), ["0000000001.results"]);
        assert_eq!(journal.get("a").unwrap().unwrap(), b"first");
        assert_eq!(journal.get("c").unwrap().unwrap(), b"new");
        // A journal of another kind in the same directory sees none of these files.
        let requests = Journal::open(dir, REQUESTS).unwrap();
        assert!(!requests.contains("a").unwrap());
        assert!(requests.append("a", 100, b"request").unwrap());
        assert_eq!(files(dir), ["0000000001.requests", "0000000001.results"]);
    }

    #[test]
    fn a_torn_or_corrupt_record_ends_its_segment_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0000000001.results");
        let journal = open(dir.path());
        journal.append("a", 100, b"kept").unwrap();
        let whole = std::fs::metadata(&path).unwrap().len();
        journal.append("b", 100, b"torn").unwrap();
        drop(journal);
        // A crash cut the second record short.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(whole + 5).unwrap();
        let journal = open(dir.path());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        assert!(journal.contains("a").unwrap());
        assert!(!journal.contains("b").unwrap());
        // The id can be written again: its first record was never acknowledged.
        assert!(journal.append("b", 101, b"again").unwrap());
        assert_eq!(journal.get("b").unwrap().unwrap(), b"again");
        drop(journal);

        // A flipped byte fails the record's check: the segment ends before it.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let journal = open(dir.path());
        assert!(journal.contains("a").unwrap());
        assert!(!journal.contains("b").unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        // A length past the bound is not believed either.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let journal = open(dir.path());
        assert_eq!(journal.len(), 0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn ids_with_the_same_hash_are_told_apart_by_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            Journal::open_with(
                dir.path(),
                RESULTS,
                BuildHasherDefault::<Colliding>::default(),
            )
            .unwrap()
        };
        let journal = open();
        for (id, value) in [("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")] {
            assert!(journal.append(id, 100, value).unwrap());
        }
        assert!(!journal.append("b", 100, b"x").unwrap());
        assert!(!journal.append("a", 100, b"x").unwrap());
        assert!(!journal.contains("e").unwrap());
        drop(journal);
        let journal = open();
        assert_eq!(journal.get("a").unwrap().unwrap(), b"1");
        assert_eq!(journal.get("b").unwrap().unwrap(), b"2");
        assert_eq!(journal.get("c").unwrap().unwrap(), b"3");
        assert!(!journal.append("c", 100, b"x").unwrap());
        // Removed, each from where it is indexed, and only the one named.
        assert!(journal.remove("a").unwrap());
        assert!(!journal.remove("a").unwrap());
        assert!(!journal.remove("e").unwrap());
        assert!(journal.remove("c").unwrap());
        assert!(journal.contains("b").unwrap() && journal.contains("d").unwrap());
        // Swept, the others are dropped from where they are indexed.
        let (dropped, swept) = sweep_due(&journal, 100);
        assert_eq!(dropped, ["b", "d"]);
        // Every record of the segment is visited, the removed ones without a word to the caller.
        assert_eq!((swept.dropped, swept.visited, swept.files), (2, 4, 1));
        assert_eq!(journal.len(), 0);
    }

    #[test]
    fn records_go_as_they_come_due_and_segments_once_empty_and_superseded() {
        let dir = tempfile::tempdir().unwrap();
        let journal = open(dir.path());
        // Three minutes of records, two a minute, one segment a minute; then one much later.
        for (n, t) in [0, 30, 60, 90, 120, 150].into_iter().enumerate() {
            journal
                .append(&format!("r{n}"), 1000 + t, b"result")
                .unwrap();
        }
        journal.append("late", 2000, b"result").unwrap();
        assert_eq!(files(dir.path()).len(), 4);

        let dropped = RefCell::new(Vec::new());
        let durable_at = RefCell::new(Vec::new());
        let sweep = |before, limit| {
            journal
                .sweep(
                    before,
                    limit,
                    |id| {
                        dropped.borrow_mut().push(id.to_owned());
                        Ok(Due::Drop)
                    },
                    || {
                        // Called before a segment's file goes: it is still there.
                        durable_at.borrow_mut().push(files(dir.path()).len());
                        Ok(())
                    },
                )
                .unwrap()
        };
        // Nothing is due before the first record's time.
        assert_eq!(sweep(999, 10), JournalSweep::default());
        // Each record as it comes due: out of the index at once, its file kept while the
        // segment has records still due later.
        let first = sweep(1029, 10);
        assert_eq!((first.dropped, first.files, first.more), (1, 0, false));
        assert!(!journal.contains("r0").unwrap());
        assert!(journal.contains("r1").unwrap());
        assert_eq!(files(dir.path()).len(), 4);
        // One record a batch: the first segment's last record and its file, then the next.
        let second = sweep(1090, 1);
        assert_eq!((second.dropped, second.files, second.more), (1, 1, true));
        assert_eq!(*durable_at.borrow(), [4]);
        let third = sweep(1090, 1);
        assert_eq!((third.dropped, third.files, third.more), (1, 0, true));
        assert_eq!(*dropped.borrow(), ["r0", "r1", "r2"]);
        assert!(journal.contains("r3").unwrap());
        // The rest of what is due, in one batch; the recent segment stays.
        let rest = sweep(1999, 10);
        assert_eq!((rest.dropped, rest.files, rest.more), (3, 2, false));
        assert_eq!(files(dir.path()), ["0000000004.results"]);
        assert!(journal.contains("late").unwrap());
        assert_eq!(journal.len(), 1);
        // The newest segment, once due, is sealed and deleted; the next record starts another.
        assert_eq!(sweep(2000, 10).files, 1);
        assert!(files(dir.path()).is_empty());
        assert!(journal.append("next", 2001, b"result").unwrap());
        assert_eq!(files(dir.path()), ["0000000005.results"]);
        // A segment still taking appends is swept up to its end and kept.
        assert!(journal.append("after", 2002, b"result").unwrap());
        let partial = sweep(2001, 10);
        assert_eq!((partial.dropped, partial.files), (1, 0));
        assert!(journal.contains("after").unwrap());
    }

    #[test]
    fn kept_records_hold_their_segment_until_removed_and_a_record_written_again_wins() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), REQUESTS).unwrap();
        journal.append("answered", 100, b"request").unwrap();
        journal.append("expired", 110, b"request").unwrap();
        journal.append("next", 200, b"request").unwrap();
        journal.append("later", 300, b"request").unwrap();
        let decide = |id: &str| {
            Ok(match id {
                "answered" => Due::Keep,
                _ => Due::Drop,
            })
        };
        // The kept record stays readable and its segment stays; the sweep goes on past it.
        let swept = journal.sweep(150, 10, decide, || Ok(())).unwrap();
        assert_eq!((swept.dropped, swept.visited, swept.files), (1, 2, 0));
        assert!(journal.contains("answered").unwrap() && !journal.contains("expired").unwrap());
        // Visited once: the next sweep does not ask again.
        let swept = journal
            .sweep(150, 10, |_| panic!("asked twice"), || Ok(()))
            .unwrap();
        assert_eq!(swept, JournalSweep::default());
        // Removed by its owner, it frees the segment (sealed: "next" went to a newer one).
        assert!(journal.remove("answered").unwrap());
        let swept = journal.sweep(150, 10, decide, || Ok(())).unwrap();
        assert_eq!(swept.files, 1);
        assert_eq!(
            files(dir.path()),
            ["0000000002.requests", "0000000003.requests"]
        );
        // Removed and written again (a tombstone): the later record is the one read, after a
        // reopen too, and the earlier one no longer holds its segment.
        assert!(journal.remove("later").unwrap());
        assert!(journal.append("later", 300, b"").unwrap());
        assert!(!journal.append("later", 300, b"again").unwrap());
        drop(journal);
        let journal = Journal::open(dir.path(), REQUESTS).unwrap();
        assert_eq!(journal.get("later").unwrap().unwrap(), b"");
        assert_eq!(journal.len(), 2);
        let swept = journal.sweep(400, 10, decide, || Ok(())).unwrap();
        assert_eq!((swept.dropped, swept.files, swept.more), (2, 2, false));
        assert!(files(dir.path()).is_empty());
    }

    #[test]
    fn a_sweep_that_fails_drops_nothing_and_records_come_back_until_their_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let journal = open(dir.path());
        journal.append("a", 100, b"result").unwrap();
        journal.append("b", 130, b"result").unwrap();
        // The caller cannot decide: nothing is dropped.
        let failed = journal.sweep(
            100,
            10,
            |_| Err(StorageError("disk full".into())),
            || Ok(()),
        );
        assert!(failed.is_err());
        assert!(journal.contains("a").unwrap());
        // What the caller wrote cannot be made durable: the segment's file stays.
        let failed = journal.sweep(
            130,
            10,
            |_| Ok(Due::Drop),
            || Err(StorageError("disk full".into())),
        );
        assert!(failed.is_err());
        assert_eq!(files(dir.path()), ["0000000001.results"]);
        drop(journal);
        let journal = open(dir.path());
        assert!(journal.contains("a").unwrap() && journal.contains("b").unwrap());
        // Dropped, but its segment still has "b": after a reopen (a crash), it is back.
        let (dropped, swept) = sweep_due(&journal, 100);
        assert_eq!(
            (dropped.as_slice(), swept.files),
            (["a".to_owned()].as_slice(), 0)
        );
        assert!(!journal.contains("a").unwrap());
        drop(journal);
        let journal = open(dir.path());
        assert!(journal.contains("a").unwrap());
        let (dropped, _) = sweep_due(&journal, 130);
        assert_eq!(dropped, ["a", "b"]);
        assert!(files(dir.path()).is_empty());
    }
}
