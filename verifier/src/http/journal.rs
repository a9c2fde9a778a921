//! The results journal: each request's result, appended to a file, found through an index in
//! memory.
//!
//! A response writes one result, once, and the relying party reads it back a few times within
//! minutes; results are deleted oldest first, when their retention ends. An
//! append-only file fits that use: a result costs one `write` to the file and a share of the
//! next group flush's `fdatasync` ([`super::flush`]). Measured under the service's load test, a
//! result stored in sled (a compare-and-swap and a completion-index insert, and sled's own log
//! work behind them) took about a fifth of the service's CPU (`README.md`, "The verifier service
//! against its target").
//!
//! ## Files
//! The journal is a directory of segments named by number (`0000000001.results`, …), each
//! written from its start to its end and never rewritten. A new segment starts when the current
//! one holds [`SEGMENT_SECONDS`] of results or [`SEGMENT_BYTES`]. A record is
//!
//! ```text
//! length   u32, little-endian: bytes of the payload
//! check    the first 8 bytes of SHA-256(payload)
//! payload  id length (u8), id, completion time (i64, little-endian seconds), packed result
//! ```
//!
//! ## Index
//! At open every segment is read once, to build the index: the location of each result by a
//! 64-bit keyed hash of its request id (about 20 bytes a result in memory), and by the id itself
//! for the rare id whose hash another id has. A record that is cut short or fails its check is
//! where its segment ends: a crash during a write leaves at most the writes no flush had covered,
//! and none of them was acknowledged; the segment is truncated there. The journal is opened
//! after the sled database, whose lock keeps a second process out of the state directory.
//!
//! ## One result per request
//! [`Journal::append`] checks the index and appends under one lock: of two responses to one
//! request, exactly one is written. The index holds a result until the retention sweep hands
//! its request out to be forgotten, so a request keeps its result (and stays answered) as long
//! as the request itself is kept.
//!
//! ## Retention
//! [`Journal::sweep`] hands the caller, in bounded batches and oldest first, the request id of
//! each result whose retention has ended, for the caller to forget (the request, and with it its
//! `state` and nonce), and drops the result from the index: from then on it cannot be read. Its
//! segment's file goes once all its results are handed out and a newer segment takes the
//! appends, after the caller has made its deletions durable, so no crash can leave a request
//! without the result that spent its nonce; a crash before the file is deleted brings its
//! results back at the next open, and the sweep hands them out again. A result's bytes thus stay
//! on disk, unreadable through the service, at most [`SEGMENT_SECONDS`] past its retention.

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

/// Seconds of results a segment holds: a segment's file is deleted whole, so a result's bytes
/// stay on disk at most this long past its retention (out of the index from its retention on).
pub(crate) const SEGMENT_SECONDS: i64 = 60;

/// Bytes a segment holds at most: offsets stay within 32 bits, and at about a kilobyte a result
/// a minute of a busy service's results fits.
pub(crate) const SEGMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes of a record's payload at most: a request id of at most 255 bytes and a packed result
/// far under the service's 4 MiB bound on a result's JSON; a larger length is corruption.
const MAX_PAYLOAD_BYTES: usize = 8 * 1024 * 1024;

/// Bytes before a record's payload: its length and its check.
const HEADER_BYTES: usize = 12;

/// What the file names of segments end with.
const SUFFIX: &str = ".results";

/// Where a result is: its segment's number and its record's offset in it.
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
    /// Completion times of its first and newest results.
    oldest: i64,
    newest: i64,
    /// No more appends: a newer segment exists, or the sweep took it.
    sealed: bool,
    /// Offset up to which the sweep has handed its results' ids out.
    swept: u64,
}

/// The journal (see the module docs). `S` hashes request ids for the index: keyed with a
/// random key in the service, so that no one can choose ids that collide.
pub(crate) struct Journal<S = RandomState> {
    dir: PathBuf,
    hasher: S,
    inner: Mutex<Inner>,
}

struct Inner {
    segments: BTreeMap<u32, Segment>,
    /// Results by the hash of their request id.
    index: HashMap<u64, Loc>,
    /// Results whose id hashes as another result's id did when it was written.
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

/// A record read back.
struct Record {
    id: String,
    completed_at: i64,
    packed: Vec<u8>,
    /// Bytes of the whole record.
    len: u64,
}

/// What one sweep batch of the journal did ([`Journal::sweep`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JournalSweep {
    /// Results dropped (their requests handed to the caller).
    pub(crate) results: usize,
    /// Segment files deleted.
    pub(crate) files: usize,
    /// Whether more was due than the batch's limit allowed.
    pub(crate) more: bool,
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> StorageError {
    StorageError(format!("{what} {}: {e}", path.display()))
}

impl Journal {
    /// Opens the journal in `dir` (made if missing), reading every segment to build the index.
    pub(crate) fn open(dir: &Path) -> Result<Self, StorageError> {
        Self::open_with(dir, RandomState::new())
    }
}

impl<S: BuildHasher> Journal<S> {
    /// [`Journal::open`] with `hasher` for the index.
    fn open_with(dir: &Path, hasher: S) -> Result<Self, StorageError> {
        // Results hold personal data (names, addresses): the directory and its files are the
        // service's own.
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
                .and_then(|n| n.strip_suffix(SUFFIX))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            numbers.push(number);
        }
        numbers.sort_unstable();
        let journal = Self {
            dir: dir.to_owned(),
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
                let segment = journal.load(&mut inner, number)?;
                inner.segments.insert(number, segment);
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
        self.dir.join(format!("{number:010}{SUFFIX}"))
    }

    /// Reads segment `number` into the index, truncating it after its last whole record.
    fn load(&self, inner: &mut Inner, number: u32) -> Result<Segment, StorageError> {
        let path = self.path(number);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io("opening", &path, &e))?;
        let size = file.metadata().map_err(|e| io("reading", &path, &e))?.len();
        let mut reader = BufReader::with_capacity(64 * 1024, &file);
        let mut segment = Segment {
            file: Arc::new(file.try_clone().map_err(|e| io("opening", &path, &e))?),
            path: path.clone(),
            len: 0,
            oldest: i64::MAX,
            newest: i64::MIN,
            sealed: false,
            swept: 0,
        };
        while let Some(record) = read_record(&mut reader)? {
            let loc = Loc {
                segment: number,
                offset: u32::try_from(segment.len)
                    .map_err(|_| StorageError(format!("{} is too large", path.display())))?,
            };
            self.insert(inner, &record.id, loc);
            segment.oldest = segment.oldest.min(record.completed_at);
            segment.newest = segment.newest.max(record.completed_at);
            segment.len += record.len;
        }
        if segment.len < size {
            tracing::warn!(
                segment = %path.display(),
                kept = segment.len,
                dropped = size - segment.len,
                "a results segment ends in an incomplete record (a write no flush covered); truncated"
            );
            file.set_len(segment.len)
                .and_then(|()| file.sync_data())
                .map_err(|e| io("truncating", &path, &e))?;
        }
        Ok(segment)
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// Adds `id` at `loc` to the index (at open, where every id is new).
    fn insert(&self, inner: &mut Inner, id: &str, loc: Loc) {
        match inner.index.entry(self.hash(id)) {
            Entry::Vacant(v) => {
                v.insert(loc);
            }
            Entry::Occupied(_) => {
                inner.overflow.insert(id.to_owned(), loc);
            }
        }
    }

    /// The result of `id`, if there is one.
    fn find(&self, inner: &Inner, id: &str) -> Result<Option<Record>, StorageError> {
        let loc = match inner.overflow.get(id) {
            Some(loc) => loc,
            None => match inner.index.get(&self.hash(id)) {
                Some(loc) => loc,
                None => return Ok(None),
            },
        };
        // Another id with the same hash is possible; the record says whose it is.
        let record = self.read_at(inner, *loc)?;
        Ok((record.id == id).then_some(record))
    }

    fn read_at(&self, inner: &Inner, loc: Loc) -> Result<Record, StorageError> {
        let segment = inner
            .segments
            .get(&loc.segment)
            .ok_or_else(|| StorageError("the index names a deleted results segment".into()))?;
        read_record_at(&segment.file, u64::from(loc.offset))
            .map_err(|e| StorageError(format!("{}: {}", segment.path.display(), e.0)))?
            .ok_or_else(|| {
                StorageError(format!(
                    "{}: the index names a missing record",
                    segment.path.display()
                ))
            })
    }

    /// Whether `id` has a result.
    pub(crate) fn contains(&self, id: &str) -> Result<bool, StorageError> {
        let inner = self.lock();
        Ok(self.find(&inner, id)?.is_some())
    }

    /// The packed result of `id`, if it has one.
    pub(crate) fn get(&self, id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let inner = self.lock();
        Ok(self.find(&inner, id)?.map(|record| record.packed))
    }

    /// Appends the packed result of `id`, completed at `completed_at`, unless `id` has one:
    /// `Ok(false)` then, and nothing written. Durable after [`Journal::sync`].
    pub(crate) fn append(
        &self,
        id: &str,
        completed_at: i64,
        packed: &[u8],
    ) -> Result<bool, StorageError> {
        let id_len = u8::try_from(id.len())
            .map_err(|_| StorageError("a request id longer than 255 bytes".into()))?;
        let payload_len = 1 + id.len() + 8 + packed.len();
        if payload_len > MAX_PAYLOAD_BYTES {
            return Err(StorageError(format!(
                "a result of {} bytes packed is over the journal's bound",
                packed.len()
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
        let number = self.writable_segment(&mut inner, completed_at, payload_len)?;
        let inner = &mut *inner;
        let segment = inner
            .segments
            .get_mut(&number)
            .ok_or_else(|| StorageError("the results segment vanished".into()))?;
        let offset = segment.len;
        let scratch = &mut inner.scratch;
        scratch.clear();
        scratch.extend_from_slice(&(payload_len as u32).to_le_bytes());
        scratch.extend_from_slice(&[0; 8]);
        scratch.push(id_len);
        scratch.extend_from_slice(id.as_bytes());
        scratch.extend_from_slice(&completed_at.to_le_bytes());
        scratch.extend_from_slice(packed);
        let check = Sha256::digest(&scratch[HEADER_BYTES..]);
        scratch[4..HEADER_BYTES].copy_from_slice(&check[..8]);
        if let Err(e) = segment.file.write_all_at(scratch, offset) {
            // Whatever part reached the file is overwritten by the next record, or cut at the
            // next open: the length stays where it was.
            return Err(io("writing", &segment.path, &e));
        }
        segment.len += scratch.len() as u64;
        segment.oldest = segment.oldest.min(completed_at);
        segment.newest = segment.newest.max(completed_at);
        if !inner.unsynced.contains(&number) {
            inner.unsynced.push(number);
        }
        let loc = Loc {
            segment: number,
            // `writable_segment` keeps segments under SEGMENT_BYTES, far inside 32 bits.
            offset: u32::try_from(offset).map_err(|_| StorageError("segment overflow".into()))?,
        };
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
        completed_at: i64,
        payload_len: usize,
    ) -> Result<u32, StorageError> {
        if let Some((&number, segment)) = inner.segments.iter_mut().next_back() {
            let full = segment.len + (HEADER_BYTES + payload_len) as u64 > SEGMENT_BYTES;
            let old = segment.len > 0 && completed_at - segment.oldest >= SEGMENT_SECONDS;
            if !segment.sealed && !full && !old {
                return Ok(number);
            }
            segment.sealed = true;
        }
        let number = inner.next;
        inner.next = number
            .checked_add(1)
            .ok_or_else(|| StorageError("results segment numbers ran out".into()))?;
        let path = self.path(number);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io("creating", &path, &e))?;
        inner.segments.insert(
            number,
            Segment {
                file: Arc::new(file),
                path,
                len: 0,
                oldest: i64::MAX,
                newest: i64::MIN,
                sealed: false,
                swept: 0,
            },
        );
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

    /// One bounded batch of the retention sweep (module docs): hands `forget` the request ids of
    /// at most `limit` results completed at or before `completed_before`, oldest first (a
    /// segment's records are in the order they were appended, so the sweep stops at the first
    /// that is not due), and drops them from the index. A segment that no longer takes appends
    /// and whose results were all handed out goes: `make_durable` first (the caller's deletions
    /// must be on disk before the results that spent the requests' nonces), then its file.
    /// `forget` and `make_durable` run without the journal's lock.
    pub(crate) fn sweep(
        &self,
        completed_before: i64,
        limit: usize,
        mut forget: impl FnMut(&str) -> Result<(), StorageError>,
        mut make_durable: impl FnMut() -> Result<(), StorageError>,
    ) -> Result<JournalSweep, StorageError> {
        let mut done = JournalSweep::default();
        loop {
            // The oldest segment; sealed once its newest result is due, so that it can go.
            let oldest = {
                let mut inner = self.lock();
                inner.segments.iter_mut().next().map(|(n, s)| {
                    if s.newest <= completed_before {
                        s.sealed = true;
                    }
                    (
                        *n,
                        Arc::clone(&s.file),
                        s.path.clone(),
                        s.swept,
                        s.len,
                        s.sealed,
                    )
                })
            };
            let Some((number, file, path, from, len, sealed)) = oldest else {
                break;
            };
            let mut offset = from;
            let mut ids = Vec::new();
            let mut not_due = false;
            while offset < len && done.results + ids.len() < limit {
                let record = read_record_at(&file, offset)?.ok_or_else(|| {
                    StorageError(format!("{}: a record is missing", path.display()))
                })?;
                if record.completed_at > completed_before {
                    not_due = true;
                    break;
                }
                ids.push((record.id, offset));
                offset += record.len;
            }
            for (id, _) in &ids {
                forget(id)?;
            }
            {
                let mut inner = self.lock();
                for (id, record_offset) in &ids {
                    let loc = Loc {
                        segment: number,
                        offset: u32::try_from(*record_offset).unwrap_or(u32::MAX),
                    };
                    if inner.overflow.get(id.as_str()) == Some(&loc) {
                        inner.overflow.remove(id.as_str());
                    } else {
                        let hash = self.hash(id);
                        if inner.index.get(&hash) == Some(&loc) {
                            inner.index.remove(&hash);
                        }
                    }
                }
                if let Some(segment) = inner.segments.get_mut(&number) {
                    segment.swept = offset;
                }
            }
            done.results += ids.len();
            if offset == len && sealed {
                make_durable()?;
                self.lock().segments.remove(&number);
                match std::fs::remove_file(&path) {
                    Ok(()) => done.files += 1,
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io("deleting", &path, &e)),
                }
                continue;
            }
            done.more = !not_due && offset < len;
            break;
        }
        Ok(done)
    }

    /// Results in the index (for tests and health figures).
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
        Err(e) => Err(StorageError(format!("reading a results segment: {e}"))),
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
    let completed_at = i64::from_le_bytes(time.try_into().ok()?);
    let id = std::str::from_utf8(id).ok()?.to_owned();
    let start = 1 + usize::from(id_len) + 8;
    let len = (HEADER_BYTES + payload.len()) as u64;
    let mut packed = payload;
    packed.drain(..start);
    Some(Record {
        id,
        completed_at,
        packed,
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

    /// One sweep batch of up to ten results completed at or before `before`, the caller's
    /// deletions durable at once: the ids handed out, and what the batch did.
    fn sweep_due<S: BuildHasher>(journal: &Journal<S>, before: i64) -> (Vec<String>, JournalSweep) {
        let mut forgotten = Vec::new();
        let swept = journal
            .sweep(
                before,
                10,
                |id| {
                    forgotten.push(id.to_owned());
                    Ok(())
                },
                || Ok(()),
            )
            .unwrap();
        (forgotten, swept)
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
    fn a_result_is_written_once_and_read_back_after_a_reopen() {
        // A directory the journal makes.
        let root = tempfile::tempdir().unwrap();
        let dir = &root.path().join("results");
        let journal = Journal::open(dir).unwrap();
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
        // A second result for the same request is refused and writes nothing.
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

        let journal = Journal::open(dir).unwrap();
        assert_eq!(journal.len(), 2);
        assert_eq!(journal.get("b").unwrap().unwrap(), b"other");
        assert!(!journal.append("a", 103, b"third").unwrap());
        // Appends go on in the same segment, after its records.
        assert!(journal.append("c", 104, b"new").unwrap());
        assert_eq!(files(dir), ["0000000001.results"]);
        assert_eq!(journal.get("a").unwrap().unwrap(), b"first");
        assert_eq!(journal.get("c").unwrap().unwrap(), b"new");
    }

    #[test]
    fn a_torn_or_corrupt_record_ends_its_segment_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0000000001.results");
        let journal = Journal::open(dir.path()).unwrap();
        journal.append("a", 100, b"kept").unwrap();
        let whole = std::fs::metadata(&path).unwrap().len();
        journal.append("b", 100, b"torn").unwrap();
        drop(journal);
        // A crash cut the second record short.
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(whole + 5).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        assert!(journal.contains("a").unwrap());
        assert!(!journal.contains("b").unwrap());
        // The request can be answered again: its first answer was never acknowledged.
        assert!(journal.append("b", 101, b"again").unwrap());
        assert_eq!(journal.get("b").unwrap().unwrap(), b"again");
        drop(journal);

        // A flipped byte fails the record's check: the segment ends before it.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert!(journal.contains("a").unwrap());
        assert!(!journal.contains("b").unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        // A length past the bound is not believed either.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.len(), 0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn ids_with_the_same_hash_are_told_apart_by_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            || Journal::open_with(dir.path(), BuildHasherDefault::<Colliding>::default()).unwrap();
        let journal = open();
        for (id, value) in [("a", b"1"), ("b", b"2"), ("c", b"3")] {
            assert!(journal.append(id, 100, value).unwrap());
        }
        assert!(!journal.append("b", 100, b"x").unwrap());
        assert!(!journal.append("a", 100, b"x").unwrap());
        assert!(!journal.contains("d").unwrap());
        drop(journal);
        let journal = open();
        assert_eq!(journal.get("a").unwrap().unwrap(), b"1");
        assert_eq!(journal.get("b").unwrap().unwrap(), b"2");
        assert_eq!(journal.get("c").unwrap().unwrap(), b"3");
        assert!(!journal.append("c", 100, b"x").unwrap());
        // Swept, each is dropped from where it is indexed.
        let (forgotten, swept) = sweep_due(&journal, 100);
        assert_eq!(forgotten, ["a", "b", "c"]);
        assert_eq!((swept.results, swept.files), (3, 1));
        assert_eq!(journal.len(), 0);
    }

    #[test]
    fn results_go_as_they_come_due_and_segments_once_swept_and_superseded() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        // Three minutes of results, two a minute, one segment a minute; then one much later.
        for (n, t) in [0, 30, 60, 90, 120, 150].into_iter().enumerate() {
            journal
                .append(&format!("r{n}"), 1000 + t, b"result")
                .unwrap();
        }
        journal.append("late", 2000, b"result").unwrap();
        assert_eq!(files(dir.path()).len(), 4);

        let forgotten = RefCell::new(Vec::new());
        let durable_at = RefCell::new(Vec::new());
        let sweep = |before, limit| {
            journal
                .sweep(
                    before,
                    limit,
                    |id| {
                        forgotten.borrow_mut().push(id.to_owned());
                        Ok(())
                    },
                    || {
                        // Called before a segment's file goes: it is still there.
                        durable_at.borrow_mut().push(files(dir.path()).len());
                        Ok(())
                    },
                )
                .unwrap()
        };
        // Nothing is due before the first result's retention.
        assert_eq!(sweep(999, 10), JournalSweep::default());
        // Each result as it comes due: out of the index at once, its file kept while the
        // segment has results still due later.
        let first = sweep(1029, 10);
        assert_eq!((first.results, first.files, first.more), (1, 0, false));
        assert!(!journal.contains("r0").unwrap());
        assert!(journal.contains("r1").unwrap());
        assert_eq!(files(dir.path()).len(), 4);
        // One result a batch: the first segment's last result, then its file, then the next.
        let second = sweep(1090, 1);
        assert_eq!((second.results, second.files, second.more), (1, 1, true));
        assert_eq!(*durable_at.borrow(), [4]);
        let third = sweep(1090, 1);
        assert_eq!((third.results, third.files, third.more), (1, 0, true));
        assert_eq!(*forgotten.borrow(), ["r0", "r1", "r2"]);
        assert!(journal.contains("r3").unwrap());
        // The rest of what is due, in one batch; the recent segment stays.
        let rest = sweep(1999, 10);
        assert_eq!((rest.results, rest.files, rest.more), (3, 2, false));
        assert_eq!(files(dir.path()), ["0000000004.results"]);
        assert!(journal.contains("late").unwrap());
        assert_eq!(journal.len(), 1);
        // The newest segment, once due, is sealed and deleted; the next result starts another.
        assert_eq!(sweep(2000, 10).files, 1);
        assert!(files(dir.path()).is_empty());
        assert!(journal.append("next", 2001, b"result").unwrap());
        assert_eq!(files(dir.path()), ["0000000005.results"]);
        // A segment still taking appends is swept up to its end and kept.
        assert!(journal.append("after", 2002, b"result").unwrap());
        let partial = sweep(2001, 10);
        assert_eq!((partial.results, partial.files), (1, 0));
        assert!(journal.contains("after").unwrap());
    }

    #[test]
    fn a_sweep_stopped_before_the_file_went_is_finished_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        journal.append("a", 100, b"result").unwrap();
        journal.append("b", 200, b"result").unwrap();
        // The caller's deletions cannot be made durable: the file stays, and so do its results
        // after a reopen.
        let failed = journal.sweep(
            100,
            10,
            |_| Ok(()),
            || Err(StorageError("disk full".into())),
        );
        assert!(failed.is_err());
        drop(journal);
        let journal = Journal::open(dir.path()).unwrap();
        assert!(journal.contains("a").unwrap());
        let (forgotten, swept) = sweep_due(&journal, 100);
        assert_eq!(forgotten, ["a"]);
        assert_eq!(swept.files, 1);
        assert!(journal.contains("b").unwrap());
    }
}
