//! [`TextBuf`]: `core::fmt` into a fixed stack buffer, because games have no allocator.

use core::fmt;

/// A fixed-capacity UTF-8 string; writes past the end are truncated at a character boundary.
pub struct TextBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        TextBuf {
            buf: [0; N],
            len: 0,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // SAFETY: only whole UTF-8 sequences from `&str`s are ever copied in (see write_str).
        unsafe { core::str::from_utf8_unchecked(&self.buf[..self.len]) }
    }

    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = N - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TextBuf;
    use core::fmt::Write;

    #[test]
    fn formats_and_truncates() {
        let mut t = TextBuf::<12>::new();
        write!(t, "SCORE {}", 1234).unwrap();
        assert_eq!(t.as_str(), "SCORE 1234");
        assert!(write!(t, "éé").is_err());
        assert_eq!(t.as_str(), "SCORE 1234é");
        t.clear();
        assert_eq!(t.as_str(), "");
    }
}
