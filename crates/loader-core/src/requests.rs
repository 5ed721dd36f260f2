//! Finding the kernel's Limine requests and base revision tag in the loaded image.
//!
//! Why on the loaded image: requests are statics of the kernel, so the loader must write
//! response pointers where the kernel will read them, i.e. into the copy it is about to
//! run. Like Limine v8 we scan the file-backed part of the image in 8-byte steps: the start
//! marker resets everything found so far, the end marker stops the scan, a base revision
//! tag fixes the revision, and every `COMMON_MAGIC` pair starts a request. The same request
//! id twice (or a second base revision tag) stops the boot, as in Limine.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::protocol::{
    BASE_REVISION_MAGIC, COMMON_MAGIC, END_MARKER, MAX_BASE_REVISION, REQ_FIELDS, REQ_RESPONSE,
    START_MARKER,
};

/// Limine's limit on the number of requests.
pub const MAX_REQUESTS: usize = 128;

/// Why the scan stopped the boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError(pub String);

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request found in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Offset of the request's first word from the start of the image.
    pub offset: usize,
    /// Id words 3 and 4.
    pub id: [u64; 2],
    /// The request's `revision` field.
    pub revision: u64,
}

/// Result of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Base revision the kernel is booted with (0 without a tag).
    pub base_revision: u64,
    /// Revision the kernel asked for (`None` without a tag).
    pub requested_revision: Option<u64>,
    /// Requests in image order.
    pub requests: Vec<Request>,
}

impl Scan {
    /// The request with the given id, if the kernel has one.
    pub fn find(&self, id: [u64; 2]) -> Option<&Request> {
        self.requests.iter().find(|r| r.id == id)
    }
}

fn word(image: &[u8], off: usize) -> Option<u64> {
    image
        .get(off..off + 8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
}

fn words_eq(image: &[u8], off: usize, want: &[u64]) -> bool {
    want.iter()
        .enumerate()
        .all(|(i, w)| word(image, off + 8 * i) == Some(*w))
}

/// Reads the u64 at `off` in `image` (None past the end).
pub fn read_u64(image: &[u8], off: usize) -> Option<u64> {
    word(image, off)
}

/// Writes `value` at `off` in `image`.
pub fn write_u64(image: &mut [u8], off: usize, value: u64) {
    image[off..off + 8].copy_from_slice(&value.to_le_bytes());
}

/// Scans `image` (the loaded image, index 0 = lowest address) up to `scan_len` bytes and
/// answers the base revision tag in place: its third word becomes 0 when the revision is
/// supported (<= 2), and stays unchanged otherwise (the kernel then boots with revision 2
/// and sees "unsupported").
pub fn scan(image: &mut [u8], scan_len: usize) -> Result<Scan, ScanError> {
    let end = scan_len.min(image.len()) & !7;
    let mut base_revision = 0u64;
    let mut requested_revision = None;
    let mut base_tag_word: Option<usize> = None;
    let mut requests: Vec<Request> = Vec::new();

    let mut off = 0;
    while off < end {
        if words_eq(image, off, &START_MARKER) {
            base_revision = 0;
            requested_revision = None;
            base_tag_word = None;
            requests.clear();
            off += 8;
            continue;
        }
        if words_eq(image, off, &END_MARKER) {
            break;
        }
        if words_eq(image, off, &BASE_REVISION_MAGIC) {
            if requested_revision.is_some() {
                return Err(ScanError(
                    "kernel has two base revision tags (duplicated base revision tag)".into(),
                ));
            }
            let n = word(image, off + 16).ok_or_else(|| {
                ScanError("kernel's base revision tag is cut off by the end of the image".into())
            })?;
            requested_revision = Some(n);
            if n <= MAX_BASE_REVISION {
                base_revision = n;
                base_tag_word = Some(off + 16);
            } else {
                base_revision = MAX_BASE_REVISION;
            }
            off += 8;
            continue;
        }
        if words_eq(image, off, &COMMON_MAGIC) {
            let (Some(id0), Some(id1), Some(revision)) = (
                word(image, off + 16),
                word(image, off + 24),
                word(image, off + 32),
            ) else {
                return Err(ScanError(format!(
                    "kernel request at image offset {off:#x} is cut off"
                )));
            };
            // The response pointer must be writable inside the image too.
            if off + REQ_FIELDS > image.len() {
                return Err(ScanError(format!(
                    "kernel request at image offset {off:#x} is cut off"
                )));
            }
            let id = [id0, id1];
            if requests.iter().any(|r| r.id == id) {
                return Err(ScanError(format!(
                    "kernel has two requests with the same id {id0:#018x} {id1:#018x} (conflict detected)"
                )));
            }
            if requests.len() == MAX_REQUESTS {
                return Err(ScanError(format!(
                    "kernel has more than {MAX_REQUESTS} requests"
                )));
            }
            requests.push(Request {
                offset: off,
                id,
                revision,
            });
        }
        off += 8;
    }
    if let Some(w) = base_tag_word {
        write_u64(image, w, 0);
    }
    Ok(Scan {
        base_revision,
        requested_revision,
        requests,
    })
}

/// Stores `response` (an HHDM address) into `req`'s response field.
pub fn set_response(image: &mut [u8], req: &Request, response: u64) {
    write_u64(image, req.offset + REQ_RESPONSE, response);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::id;

    fn words(ws: &[u64]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
    fn req(id: [u64; 2], rev: u64, extra: &[u64]) -> Vec<u64> {
        let mut v = alloc::vec![COMMON_MAGIC[0], COMMON_MAGIC[1], id[0], id[1], rev, 0];
        v.extend_from_slice(extra);
        v
    }
    fn image(parts: &[&[u64]]) -> Vec<u8> {
        let all: Vec<u64> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        words(&all)
    }
    fn base(n: u64) -> [u64; 3] {
        [BASE_REVISION_MAGIC[0], BASE_REVISION_MAGIC[1], n]
    }

    #[test]
    fn typical_requests_between_markers() {
        let hhdm = req(id::HHDM, 0, &[]);
        let stack = req(id::STACK_SIZE, 0, &[0x10_0000]);
        let mut img = image(&[
            &[1, 2, 3],
            &START_MARKER,
            &base(2),
            &hhdm,
            &stack,
            &END_MARKER,
            &req(id::RSDP, 0, &[]),
        ]);
        let len = img.len();
        let s = scan(&mut img, len).unwrap();
        assert_eq!(s.base_revision, 2);
        assert_eq!(s.requested_revision, Some(2));
        assert_eq!(
            s.requests.len(),
            2,
            "requests after the end marker are ignored"
        );
        let h = s.find(id::HHDM).unwrap();
        assert_eq!(h.offset, 3 * 8 + 32 + 24);
        let st = *s.find(id::STACK_SIZE).unwrap();
        assert_eq!(read_u64(&img, st.offset + REQ_FIELDS), Some(0x10_0000));
        assert!(s.find(id::RSDP).is_none());
        // Base revision answered "supported".
        assert_eq!(read_u64(&img, 3 * 8 + 32 + 16), Some(0));
        assert_eq!(
            read_u64(&img, 3 * 8 + 32 + 8),
            Some(BASE_REVISION_MAGIC[1]),
            "loaded-revision word untouched (v8)"
        );
        set_response(&mut img, &st, 0xffff_8000_0000_1000);
        assert_eq!(
            read_u64(&img, st.offset + REQ_RESPONSE),
            Some(0xffff_8000_0000_1000)
        );
    }

    #[test]
    fn base_revision_values() {
        for (asked, booted, word_after) in [(0, 0, 0), (1, 1, 0), (2, 2, 0), (3, 2, 3), (99, 2, 99)]
        {
            let mut img = image(&[&START_MARKER, &base(asked), &END_MARKER]);
            let s = scan(&mut img, 1000).unwrap();
            assert_eq!(s.base_revision, booted, "asked {asked}");
            assert_eq!(read_u64(&img, 32 + 16), Some(word_after), "asked {asked}");
        }
        let mut img = image(&[&req(id::HHDM, 0, &[])]);
        let len = img.len();
        let s = scan(&mut img, len).unwrap();
        assert_eq!((s.base_revision, s.requested_revision), (0, None));
        assert_eq!(s.requests.len(), 1, "markers are optional");
    }

    #[test]
    fn start_marker_resets() {
        let mut img = image(&[
            &base(1),
            &req(id::HHDM, 0, &[]),
            &START_MARKER,
            &req(id::RSDP, 0, &[]),
            &END_MARKER,
        ]);
        let len = img.len();
        let s = scan(&mut img, len).unwrap();
        assert_eq!(
            s.base_revision, 0,
            "a tag before the start marker is forgotten"
        );
        assert_eq!(read_u64(&img, 16), Some(1), "and not answered");
        assert_eq!(
            s.requests.iter().map(|r| r.id).collect::<Vec<_>>(),
            [id::RSDP]
        );
    }

    #[test]
    fn duplicates_stop_the_boot() {
        let mut img = image(&[
            &START_MARKER,
            &req(id::HHDM, 0, &[]),
            &req(id::HHDM, 0, &[]),
            &END_MARKER,
        ]);
        let len = img.len();
        let e = scan(&mut img, len).unwrap_err();
        assert!(e.0.contains("same id"), "{e}");
        let mut img = image(&[&START_MARKER, &base(2), &base(2), &END_MARKER]);
        let len = img.len();
        assert!(
            scan(&mut img, len)
                .unwrap_err()
                .0
                .contains("two base revision tags")
        );
        // A duplicate past the end marker does not count.
        let mut img = image(&[&req(id::HHDM, 0, &[]), &END_MARKER, &req(id::HHDM, 0, &[])]);
        let len = img.len();
        assert!(scan(&mut img, len).is_ok());
    }

    #[test]
    fn scan_limit_and_truncation() {
        let mut img = image(&[&[0], &req(id::HHDM, 0, &[])]);
        // Limit excludes the request (it lives in "bss").
        assert!(scan(&mut img, 8).unwrap().requests.is_empty());
        // A request cut off by the image end is an error, not an out-of-bounds read.
        let mut img = image(&[&[0], &COMMON_MAGIC, &[id::HHDM[0]]]);
        let len = img.len();
        assert!(scan(&mut img, len).unwrap_err().0.contains("cut off"));
        // Unaligned scan length is rounded down.
        let mut img = image(&[&req(id::HHDM, 0, &[])]);
        assert_eq!(scan(&mut img, 7).unwrap().requests.len(), 0);
    }

    #[test]
    fn too_many_requests() {
        let mut parts: Vec<u64> = Vec::new();
        for i in 0..=MAX_REQUESTS as u64 {
            parts.extend(req([i, i], 0, &[]));
        }
        let mut img = words(&parts);
        let len = img.len();
        assert!(scan(&mut img, len).unwrap_err().0.contains("more than"));
    }
}
