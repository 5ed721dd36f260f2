//! Changing a file's contents: the one place that decides when archive bytes are copied
//! to the heap and checks the space limit, shared by the shell's string API and the node
//! API.
//!
//! A file from the archive borrows its bytes; the first change that cannot be expressed as
//! a narrower slice (cutting the end off can) copies them to the heap. Each change
//! reserves its memory and checks the limit before it touches the file, so a failed
//! write, append or resize leaves the contents as they were.

use crate::FsError;
use crate::node::{Body, Data, Fs, Result, oom, owned};
use crate::quota::owned_bytes;
use alloc::vec::Vec;

/// The largest file length: what a slice can be.
const MAX_FILE: u64 = isize::MAX as u64;

impl<'a> Fs<'a> {
    /// Changes file `i`'s contents with `change` and stamps the file as modified, unless
    /// `change` fails (it must then leave the contents alone). `owned_after` is how many
    /// bytes of contents the file will hold on the heap afterwards: the change is refused
    /// with [`FsError::NoSpace`] before it starts if they do not fit under the limit.
    pub(crate) fn modify(
        &mut self,
        i: usize,
        owned_after: usize,
        change: impl FnOnce(&mut Data<'a>) -> Result<()>,
    ) -> Result<()> {
        let before = match &self.node(i)?.body {
            Body::File(_) => owned_bytes(&self.node(i)?.body),
            Body::Dir(_) => return Err(FsError::IsADirectory),
            Body::Symlink(_) => return Err(FsError::InvalidArgument),
        };
        self.check_space(owned_after.saturating_sub(before))?;
        let now = self.now();
        let node = self.node_mut(i)?;
        if let Body::File(data) = &mut node.body {
            change(data)?;
        }
        node.from_initrd = false;
        node.mtime = now;
        node.ctime = now;
        let after = owned_bytes(&node.body);
        self.refund(before);
        self.charge(after);
        Ok(())
    }

    /// Replaces file `i`'s contents with `data`, which the caller allocated.
    pub(crate) fn replace_contents(&mut self, i: usize, data: Data<'a>) -> Result<()> {
        let owned_after = match &data {
            Data::Owned(v) => v.len(),
            Data::Borrowed(_) => 0,
        };
        self.modify(i, owned_after, |d| {
            *d = data;
            Ok(())
        })
    }

    /// Appends `data` to file `i`.
    pub(crate) fn append_contents(&mut self, i: usize, data: &[u8]) -> Result<()> {
        let len = self.file_data(i)?.len();
        let total = len.checked_add(data.len()).ok_or(FsError::FileTooLarge)?;
        self.write_contents(i, len, data, total)
    }

    /// Writes `data` at byte `offset` of file `i`, filling any gap after the end with
    /// zeros (POSIX `pwrite`). Writing nothing changes nothing.
    pub(crate) fn write_contents_at(&mut self, i: usize, offset: u64, data: &[u8]) -> Result<()> {
        let offset = usize::try_from(offset).map_err(|_| FsError::FileTooLarge)?;
        let end = offset
            .checked_add(data.len())
            .filter(|&e| e as u64 <= MAX_FILE)
            .ok_or(FsError::FileTooLarge)?;
        if data.is_empty() {
            self.file_data(i)?;
            return Ok(());
        }
        let total = end.max(self.file_data(i)?.len());
        self.write_contents(i, offset, data, total)
    }

    /// Writes `data` at `offset` in a file that becomes `total` bytes long (at least
    /// `offset + data.len()`, at least its length now).
    fn write_contents(&mut self, i: usize, offset: usize, data: &[u8], total: usize) -> Result<()> {
        self.modify(i, total, |d| {
            let mut v = match d {
                Data::Owned(v) => core::mem::take(v),
                Data::Borrowed(b) => {
                    let mut v = Vec::new();
                    v.try_reserve_exact(total).map_err(oom)?;
                    v.extend_from_slice(b);
                    v
                }
            };
            if let Err(e) = v.try_reserve(total.saturating_sub(v.len())) {
                if let Data::Owned(old) = d {
                    *old = v; // put it back unchanged
                }
                return Err(oom(e));
            }
            if v.len() < total {
                v.resize(total, 0);
            }
            if let Some(dst) = v.get_mut(offset..offset + data.len()) {
                dst.copy_from_slice(data);
            }
            *d = Data::Owned(v);
            Ok(())
        })
    }

    /// Sets file `i`'s length, cutting it or padding with zeros. Shortening an archive file
    /// just narrows the borrowed slice.
    pub(crate) fn set_len_contents(&mut self, i: usize, len: u64) -> Result<()> {
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l as u64 <= MAX_FILE)
            .ok_or(FsError::FileTooLarge)?;
        let owned_after = match &self.node(i)?.body {
            Body::File(Data::Borrowed(b)) if len <= b.len() => 0,
            _ => len,
        };
        self.modify(i, owned_after, |d| {
            match d {
                Data::Owned(v) => {
                    if len > v.len() {
                        v.try_reserve(len - v.len()).map_err(oom)?;
                    }
                    v.resize(len, 0);
                }
                Data::Borrowed(b) if len <= b.len() => {
                    let whole: &'a [u8] = b;
                    *b = whole.get(..len).unwrap_or(whole);
                }
                Data::Borrowed(b) => {
                    let mut v = owned(b)?;
                    v.try_reserve(len - v.len()).map_err(oom)?;
                    v.resize(len, 0);
                    *d = Data::Owned(v);
                }
            }
            Ok(())
        })
    }

    /// Copies up to `buf.len()` bytes of file `i` from `offset` into `buf`; returns how
    /// many (0 at or past the end).
    pub(crate) fn read_contents_at(&self, i: usize, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.file_data(i)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let src = data.get(start..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}
