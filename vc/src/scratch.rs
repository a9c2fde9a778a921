//! Per-thread buffers that outlive one presentation, so that verifying one allocates nothing of
//! 1 KiB or more: from that size on glibc's malloc takes its slow path, and first merges every
//! small block freed since (the hundreds of strings and maps of the previous presentation) back
//! into its free lists, which then serve the small requests that follow more slowly than its
//! per-size caches did. On the benchmark presentation, keeping the two buffers below took a
//! third of the instructions spent in malloc and free out of a verification.
//!
//! - the bytes that base64url segments decode to: the JWS header and payload and every
//!   Disclosure are decoded into it and parsed from it (a 등본's issuer JWT decodes to more than
//!   1 KiB);
//! - the text of the SD-JWT, which the parsed SD-JWT and its JWTs share (a 등본 presentation is
//!   some 4 KB);
//! - the vector of the decoded Disclosures (128 bytes each: nine of them pass 1 KiB).

use std::cell::RefCell;
use std::sync::Arc;

use crate::disclosure::Disclosure;

/// Bytes kept between two uses: more than any credential of ours decodes to; a larger input's
/// buffer is given back after it.
const KEPT_BYTES: usize = 64 * 1024;

/// Disclosures kept room for between two uses: the budget's default maximum (a vector of
/// 64 KiB); a larger one is given back.
const KEPT_DISCLOSURES: usize = 512;

thread_local! {
    static BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static TEXT: RefCell<Option<Arc<String>>> = const { RefCell::new(None) };
    static DISCLOSURES: RefCell<Vec<Disclosure>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the thread's buffer, empty (or a fresh one if the thread's is in use).
pub(crate) fn with_bytes<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BYTES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let result = f(&mut buffer);
            buffer.clear();
            buffer.shrink_to(KEPT_BYTES);
            result
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// `text`, shared: in the thread's text buffer when nothing holds it any more (the SD-JWT parsed
/// from it before has been dropped, with all its clones), in a new one otherwise, which becomes
/// the thread's.
pub(crate) fn shared_text(text: &str) -> Arc<String> {
    TEXT.with(|cell| {
        let Ok(mut kept) = cell.try_borrow_mut() else {
            return Arc::new(text.to_owned());
        };
        if text.len() > KEPT_BYTES {
            return Arc::new(text.to_owned());
        }
        if let Some(kept) = kept.as_mut() {
            if let Some(buffer) = Arc::get_mut(kept) {
                buffer.clear();
                buffer.reserve_exact(text.len());
                buffer.push_str(text);
                return Arc::clone(kept);
            }
        }
        let shared = Arc::new(text.to_owned());
        *kept = Some(Arc::clone(&shared));
        shared
    })
}

/// An empty vector with room for `n` Disclosures: the thread's, if it has one.
pub(crate) fn disclosures(n: usize) -> Vec<Disclosure> {
    let mut kept = DISCLOSURES
        .with(|cell| cell.try_borrow_mut().map(|mut v| std::mem::take(&mut *v)))
        .unwrap_or_default();
    kept.reserve_exact(n);
    kept
}

/// Gives a vector of Disclosures that is no longer needed back to the thread, emptied.
pub(crate) fn keep_disclosures(mut disclosures: Vec<Disclosure>) {
    disclosures.clear();
    if disclosures.capacity() > KEPT_DISCLOSURES {
        return;
    }
    DISCLOSURES.with(|cell| {
        if let Ok(mut kept) = cell.try_borrow_mut() {
            if kept.capacity() < disclosures.capacity() {
                *kept = disclosures;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_empty_each_time_and_given_back_when_large() {
        with_bytes(|b| b.extend_from_slice(&[1; 100]));
        with_bytes(|b| {
            assert!(b.is_empty());
            // Nested use gets a buffer of its own.
            with_bytes(|inner| assert!(inner.is_empty()));
            b.resize(KEPT_BYTES * 2, 0);
        });
        BYTES.with_borrow(|b| assert!(b.is_empty() && b.capacity() <= KEPT_BYTES));
    }

    #[test]
    fn a_text_still_held_is_never_written_over() {
        let first = shared_text("first");
        let second = shared_text("second");
        assert_eq!((first.as_str(), second.as_str()), ("first", "second"));
        let clone = Arc::clone(&second);
        drop(second);
        // The thread's buffer is `second`'s, still held by its clone: a new one is made.
        let third = shared_text("third");
        assert_eq!((clone.as_str(), third.as_str()), ("second", "third"));
        assert!(!Arc::ptr_eq(&clone, &third));
        // Once nothing holds it, the thread's buffer is the next text's.
        let kept = Arc::as_ptr(&third);
        drop((first, clone, third));
        let fourth = shared_text("fourth, longer than the third");
        assert_eq!(fourth.as_str(), "fourth, longer than the third");
        assert_eq!(Arc::as_ptr(&fourth), kept);
        // A text larger than the buffer kept is not kept.
        drop(fourth);
        let large = "x".repeat(KEPT_BYTES + 1);
        assert_eq!(shared_text(&large).as_str(), large);
        TEXT.with_borrow(|t| assert!(t.as_ref().is_some_and(|t| t.capacity() <= KEPT_BYTES)));
    }

    #[test]
    fn a_vector_of_disclosures_comes_back_empty_and_large_ones_are_not_kept() {
        let d = Disclosure::new(Some("name"), serde_json::json!("홍길동"));
        let mut v = disclosures(3);
        v.extend([d.clone(), d.clone(), d.clone()]);
        let kept = v.as_ptr();
        keep_disclosures(v);
        let again = disclosures(2);
        assert!(again.is_empty() && again.capacity() >= 3);
        assert_eq!(again.as_ptr(), kept);
        keep_disclosures(again);
        let mut large = disclosures(KEPT_DISCLOSURES + 1);
        large.push(d);
        keep_disclosures(large);
        DISCLOSURES.with_borrow(|v| assert!(v.is_empty() && v.capacity() <= KEPT_DISCLOSURES));
    }
}
