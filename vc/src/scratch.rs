//! A per-thread buffer for the bytes that base64url segments decode to: the JWS header and
//! payload and every Disclosure are decoded into it and parsed from it, so that verifying a
//! presentation allocates no decoding buffer (a 등본's issuer JWT decodes to more than 1 KiB, the
//! size from which glibc's malloc takes its slow path).

use std::cell::RefCell;

/// Bytes kept between two uses: more than any credential of ours decodes to; a larger input's
/// buffer is given back after it.
const KEPT_BYTES: usize = 64 * 1024;

thread_local! {
    static BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
}
