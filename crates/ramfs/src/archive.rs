//! Reading the initrd's tar archive.
//!
//! Two readers feed the same [`Assembler`]:
//!
//! * **tar-no-std** reads the archive when it accepts it. It validates the *whole* archive
//!   up front and then hands out headers borrowed from the module memory, which is what a
//!   healthy boot uses.
//! * **[`walk_blocks`]**, our own header walker, takes over when tar-no-std rejects the
//!   archive. tar-no-std cannot be given "the valid prefix" of a damaged archive: it
//!   insists on the two zero blocks that end an archive, and a prefix cut out of a longer
//!   archive has none (adding them means copying the archive). So the walker reads headers
//!   block by block (checksum, size, bounds) and stops at the first damaged one: every entry
//!   before the damage is served, and the damage's offset goes into the warning. It accepts
//!   everything tar-no-std accepts, with the same meaning (tests check this on thousands of
//!   mutated archives), and a little more that tar-no-std rejects although nothing is
//!   damaged: GNU long-name records (type `L`, which GNU tar writes for names over 100
//!   bytes), unknown type flags (POSIX: skip their data), a missing second zero block, and
//!   a final file whose padding was cut off.
//!
//! Both readers only ever borrow from the archive: file contents and link targets are
//! slices of it.

use tar_no_std::TarArchiveRef;

/// Size of a tar block; headers start on block boundaries.
pub(crate) const BLOCK: usize = 512;

const NAME: core::ops::Range<usize> = 0..100;
const SIZE: core::ops::Range<usize> = 124..136;
const MTIME: core::ops::Range<usize> = 136..148;
const CHKSUM: core::ops::Range<usize> = 148..156;
const TYPEFLAG: usize = 156;
const LINKNAME: core::ops::Range<usize> = 157..257;
const MAGIC: core::ops::Range<usize> = 257..263;
const VERSION: core::ops::Range<usize> = 263..265;
const PREFIX: core::ops::Range<usize> = 345..500;

/// One tar header, as either reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// Byte offset of the header block in the archive.
    pub offset: usize,
    pub typeflag: u8,
    /// The ustar `prefix` field, `Some("")` when unused, `None` when not UTF-8.
    pub prefix: Option<&'a str>,
    /// The `name` field, `None` when not UTF-8.
    pub name: Option<&'a str>,
    /// The `linkname` field (a link's target), `None` when not UTF-8.
    pub linkname: Option<&'a str>,
    /// The `mtime` field in seconds; 0 when it is not an octal number (a time is not worth
    /// rejecting an entry for).
    pub mtime: u64,
    /// The bytes after the header that belong to this entry (file contents, or the
    /// contents of an extended header); empty for types without data.
    pub payload: &'a [u8],
}

/// Whether data blocks follow a header of this type. Mirrors tar-no-std for the types it
/// knows; any other type is assumed to carry data, as POSIX says to treat unknown types as
/// regular files.
fn has_payload(typeflag: u8) -> bool {
    !matches!(typeflag, b'1'..=b'6')
}

/// How reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The end-of-archive marker was reached (or all remaining bytes are zero).
    Clean,
    /// The consumer asked to stop (it ran out of memory) at the header at this offset.
    Stopped(usize),
    /// The archive is damaged at this offset; nothing from here on was read.
    Damaged(usize, Damage),
}

/// What is wrong with a damaged archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Damage {
    /// The archive has no bytes at all.
    Empty,
    /// A header's checksum does not match its contents (or is unreadable).
    BadChecksum,
    /// A header's size field is not an octal number.
    BadSize,
    /// The archive ends inside a header block.
    TruncatedHeader,
    /// The archive ends inside an entry's data.
    TruncatedData,
    /// The archive ends at a header boundary without the end-of-archive marker.
    MissingEnd,
    /// A single zero block is followed by more non-zero data.
    LoneZeroBlock,
    /// The heap ran out while building the tree.
    OutOfMemory,
}

impl Damage {
    /// A short description for the boot warning.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "archive is empty",
            Self::BadChecksum => "corrupt archive (bad header checksum)",
            Self::BadSize => "corrupt archive (bad size field)",
            Self::TruncatedHeader => "archive truncated inside a header",
            Self::TruncatedData => "archive truncated inside file data",
            Self::MissingEnd => "archive truncated (no end marker)",
            Self::LoneZeroBlock => "corrupt archive (data after a lone zero block)",
            Self::OutOfMemory => "out of memory while indexing",
        }
    }
}

/// Reads `bytes` with tar-no-std. Returns `None` (having called `f` for nothing) when it
/// rejects the archive.
pub(crate) fn read_tar_no_std<'a>(
    bytes: &'a [u8],
    f: &mut impl FnMut(Header<'a>) -> bool,
) -> Option<End> {
    let archive = TarArchiveRef::new(bytes).ok()?;
    for (block_index, hdr) in archive.headers() {
        let offset = block_index.saturating_mul(BLOCK);
        // Validation already passed, so these cannot fail; treat it as damage if they do.
        let Ok(typeflag) = hdr.typeflag.try_to_type_flag() else {
            return Some(End::Damaged(offset, Damage::BadChecksum));
        };
        let typeflag = typeflag as u8;
        let payload = if has_payload(typeflag) {
            let Ok(size) = hdr.size.as_number::<usize>() else {
                return Some(End::Damaged(offset, Damage::BadSize));
            };
            let start = offset.saturating_add(BLOCK);
            match bytes.get(start..start.saturating_add(size)) {
                Some(p) => p,
                None => return Some(End::Damaged(offset, Damage::TruncatedData)),
            }
        } else {
            &[]
        };
        // tar-no-std uses the prefix field only for POSIX ustar headers; GNU headers put
        // other data there.
        let ustar = hdr.magic.as_str() == Ok("ustar") && hdr.version.as_str() == Ok("00");
        let prefix = if ustar && !hdr.prefix.is_empty() {
            hdr.prefix.as_str().ok()
        } else {
            Some("")
        };
        let block = bytes
            .get(offset..offset.saturating_add(BLOCK))
            .unwrap_or(&[]);
        let header = Header {
            offset,
            typeflag,
            prefix,
            name: hdr.name.as_str().ok(),
            linkname: hdr.linkname.as_str().ok(),
            mtime: mtime(block),
            payload,
        };
        if !f(header) {
            return Some(End::Stopped(offset));
        }
    }
    Some(End::Clean)
}

/// Reads headers block by block until the end marker or the first damage.
pub(crate) fn walk_blocks<'a>(bytes: &'a [u8], f: &mut impl FnMut(Header<'a>) -> bool) -> End {
    if bytes.is_empty() {
        return End::Damaged(0, Damage::Empty);
    }
    let mut offset = 0usize;
    loop {
        let Some(rest) = bytes.get(offset..) else {
            return End::Damaged(offset, Damage::MissingEnd);
        };
        if rest.is_empty() {
            return End::Damaged(offset, Damage::MissingEnd);
        }
        let Some(block) = rest.get(..BLOCK) else {
            // A partial block: fine if it is the zero padding of an end marker.
            return if is_zero(rest) {
                End::Clean
            } else {
                End::Damaged(offset, Damage::TruncatedHeader)
            };
        };
        if is_zero(block) {
            let next = rest.get(BLOCK..).unwrap_or(&[]);
            let next = next.get(..BLOCK).unwrap_or(next);
            return if is_zero(next) {
                End::Clean
            } else {
                End::Damaged(offset, Damage::LoneZeroBlock)
            };
        }
        if !checksum_ok(block) {
            return End::Damaged(offset, Damage::BadChecksum);
        }
        let typeflag = block.get(TYPEFLAG).copied().unwrap_or(0);
        let data_start = offset.saturating_add(BLOCK);
        // Like tar-no-std, read the size only for types that have data.
        let (payload, next) = if has_payload(typeflag) {
            let Some(size) = parse_octal(field(block, SIZE)) else {
                return End::Damaged(offset, Damage::BadSize);
            };
            let Some(payload) = data_start
                .checked_add(size)
                .and_then(|end| bytes.get(data_start..end))
            else {
                return End::Damaged(offset, Damage::TruncatedData);
            };
            // `size <= bytes.len()` now, so this cannot overflow in practice; the padding of
            // the last entry may be missing, in which case the next read sees the end.
            let padded = size.div_ceil(BLOCK).saturating_mul(BLOCK);
            (payload, data_start.saturating_add(padded).min(bytes.len()))
        } else {
            (&[][..], data_start)
        };
        let ustar = cstr(field(block, MAGIC)) == b"ustar" && cstr(field(block, VERSION)) == b"00";
        let prefix = if ustar {
            core::str::from_utf8(cstr(field(block, PREFIX))).ok()
        } else {
            Some("")
        };
        let header = Header {
            offset,
            typeflag,
            prefix,
            name: core::str::from_utf8(cstr(field(block, NAME))).ok(),
            linkname: core::str::from_utf8(cstr(field(block, LINKNAME))).ok(),
            mtime: mtime(block),
            payload,
        };
        if !f(header) {
            return End::Stopped(offset);
        }
        offset = next;
    }
}

/// A header's modification time in seconds (0 if unreadable).
fn mtime(block: &[u8]) -> u64 {
    parse_octal(field(block, MTIME)).map_or(0, |t| t as u64)
}

fn field(block: &[u8], range: core::ops::Range<usize>) -> &[u8] {
    block.get(range).unwrap_or(&[])
}

/// The bytes before the first NUL.
fn cstr(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(&[])
}

fn is_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Parses a numeric header field: octal digits, optionally surrounded by spaces and ended
/// by NUL or space. Accepts every spelling tar-no-std accepts (which reads up to the first
/// NUL, then up to the first space, with Rust's `from_str_radix`, so a leading `+` is
/// allowed), plus leading spaces as some old tars write them.
pub(crate) fn parse_octal(field: &[u8]) -> Option<usize> {
    let s = cstr(field);
    let start = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
    let s = s.get(start..)?;
    let end = s.iter().position(|&b| b == b' ').unwrap_or(s.len());
    let s = core::str::from_utf8(s.get(..end)?).ok()?;
    usize::from_str_radix(s, 8).ok()
}

/// Header checksum: the sum of all header bytes with the checksum field read as spaces.
/// Historic tars summed signed bytes, so that sum is accepted too.
fn checksum_ok(block: &[u8]) -> bool {
    let Some(stored) = parse_octal(field(block, CHKSUM)) else {
        return false;
    };
    let mut unsigned: usize = 0;
    let mut signed: isize = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if CHKSUM.contains(&i) { b' ' } else { b };
        unsigned += usize::from(b);
        signed += isize::from(b as i8);
    }
    stored == unsigned || isize::try_from(stored).is_ok_and(|s| s == signed)
}

/// What one archive entry contributes to the tree. Times are in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    File {
        path: Path<'a>,
        data: &'a [u8],
        mtime: u64,
    },
    Dir {
        path: Path<'a>,
        mtime: u64,
    },
    /// A symbolic link (type `2`); the target is `None` when not UTF-8.
    Symlink {
        path: Path<'a>,
        target: Option<&'a str>,
        mtime: u64,
    },
    /// Another name for an earlier entry (type `1`): `target` is that entry's path.
    HardLink {
        path: Path<'a>,
        target: Path<'a>,
    },
    /// Not a file, directory or link (device, FIFO, unknown type).
    Skipped,
}

/// An entry's path: the ustar prefix (may be empty) and the name, joined by '/'.
/// `None` when a part is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Path<'a>(pub Option<(&'a str, &'a str)>);

/// Turns headers into entries: applies GNU long names and link targets (`L`, `K`) and pax
/// `path` and `linkpath` records (`x`) to the entry that follows them, and drops global
/// pax records (`g`).
#[derive(Debug, Default)]
pub(crate) struct Assembler<'a> {
    long_name: Option<Option<&'a str>>,
    long_link: Option<Option<&'a str>>,
    pax_path: Option<Option<&'a str>>,
    pax_link: Option<Option<&'a str>>,
}

impl<'a> Assembler<'a> {
    pub(crate) fn feed(&mut self, h: Header<'a>) -> Option<Item<'a>> {
        match h.typeflag {
            b'L' => {
                self.long_name = Some(core::str::from_utf8(cstr(h.payload)).ok());
                None
            }
            b'K' => {
                self.long_link = Some(core::str::from_utf8(cstr(h.payload)).ok());
                None
            }
            b'x' => {
                if let Some(path) = pax_record(h.payload, b"path=") {
                    self.pax_path = Some(path);
                }
                if let Some(link) = pax_record(h.payload, b"linkpath=") {
                    self.pax_link = Some(link);
                }
                None
            }
            b'g' => None,
            t => {
                let overridden = self.pax_path.take().or(self.long_name.take());
                self.long_name = None;
                let path = match overridden {
                    Some(name) => Path(name.map(|n| ("", n))),
                    None => Path(h.prefix.zip(h.name)),
                };
                let link = self.pax_link.take().or(self.long_link.take());
                self.long_link = None;
                let target = link.unwrap_or(h.linkname);
                let trailing_slash = path.0.is_some_and(|(_, n)| n.ends_with('/'));
                let mtime = h.mtime;
                Some(match t {
                    // Old tars mark directories only by a trailing slash.
                    b'0' | b'\0' | b'7' if trailing_slash && h.payload.is_empty() => {
                        Item::Dir { path, mtime }
                    }
                    b'0' | b'\0' | b'7' => Item::File {
                        path,
                        data: h.payload,
                        mtime,
                    },
                    b'5' => Item::Dir { path, mtime },
                    b'2' => Item::Symlink {
                        path,
                        target,
                        mtime,
                    },
                    b'1' => Item::HardLink {
                        path,
                        target: Path(target.map(|t| ("", t))),
                    },
                    _ => Item::Skipped,
                })
            }
        }
    }
}

/// The value of the last record starting with `key` (e.g. `b"path="`) in a pax extended
/// header, if any; `Some(None)` when it is not UTF-8. Records are
/// `"<len> <key>=<value>\n"`, `<len>` counting the whole record.
fn pax_record<'a>(mut data: &'a [u8], key: &[u8]) -> Option<Option<&'a str>> {
    let mut found = None;
    while !data.is_empty() {
        let space = data.iter().position(|&b| b == b' ')?;
        let len: usize = core::str::from_utf8(data.get(..space)?)
            .ok()?
            .parse()
            .ok()?;
        let record = data.get(space + 1..len)?;
        data = data.get(len..)?;
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(value) = record.strip_prefix(key) {
            found = Some(core::str::from_utf8(value).ok());
        }
    }
    found
}
