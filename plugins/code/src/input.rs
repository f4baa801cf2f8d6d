//! A buffered byte reader that knows its offset, for parsers that stream a
//! file once in constant memory and report where in it something was found.

use std::io::{self, Read};

/// The buffer starts small (most model files inside archives and most
/// pickles in a folder of small files are small) and grows to this.
const BUF: usize = 64 * 1024;
const FIRST_BUF: usize = 4 * 1024;

pub struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// Offset of `buf[0]` in the stream.
    base: u64,
}

/// Why reading stopped early.
#[derive(Debug)]
pub enum ReadError {
    /// The stream ended in the middle of a value.
    Eof,
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Eof => f.write_str("unexpected end of data"),
            ReadError::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

pub type ReadResult<T> = Result<T, ReadError>;

impl<R: Read> Input<R> {
    pub fn new(inner: R) -> Self {
        Self::at(inner, 0)
    }

    /// A reader whose first byte is at `offset` of the enclosing stream.
    pub fn at(inner: R, offset: u64) -> Self {
        Self {
            inner,
            buf: vec![0; FIRST_BUF].into_boxed_slice(),
            pos: 0,
            len: 0,
            base: offset,
        }
    }

    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn fill(&mut self) -> ReadResult<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        self.base += self.len as u64;
        // A full buffer means a long stream: read in larger steps.
        if self.len == self.buf.len() && self.buf.len() < BUF {
            self.buf = vec![0; BUF].into_boxed_slice();
        }
        self.pos = 0;
        self.len = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }

    /// True when no byte is left.
    pub fn at_end(&mut self) -> ReadResult<bool> {
        Ok(!self.fill()?)
    }

    /// The next byte without consuming it.
    pub fn peek(&mut self) -> ReadResult<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    #[inline]
    pub fn u8(&mut self) -> ReadResult<u8> {
        if self.pos < self.len {
            let b = self.buf[self.pos];
            self.pos += 1;
            return Ok(b);
        }
        if !self.fill()? {
            return Err(ReadError::Eof);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Fill `out` completely.
    #[inline]
    pub fn exact(&mut self, out: &mut [u8]) -> ReadResult<()> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.len && !self.fill()? {
                return Err(ReadError::Eof);
            }
            let n = (self.len - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    pub fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let mut a = [0u8; N];
        self.exact(&mut a)?;
        Ok(a)
    }

    /// Read `n` bytes into a vector (the caller bounds `n`).
    pub fn vec(&mut self, n: usize) -> ReadResult<Vec<u8>> {
        let mut v = vec![0u8; n];
        self.exact(&mut v)?;
        Ok(v)
    }

    /// Skip `n` bytes without keeping them.
    pub fn skip(&mut self, mut n: u64) -> ReadResult<()> {
        while n > 0 {
            if self.pos == self.len && !self.fill()? {
                return Err(ReadError::Eof);
            }
            let step = ((self.len - self.pos) as u64).min(n) as usize;
            self.pos += step;
            n -= step as u64;
        }
        Ok(())
    }

    /// Drop whatever is buffered (used to count the rest of a stream).
    pub fn skip_buffered(&mut self) {
        self.pos = self.len;
    }

    /// A line without its `\n`, at most `max` bytes long.
    pub fn line(&mut self, max: usize) -> ReadResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            let b = self.u8()?;
            if b == b'\n' {
                return Ok(Some(out));
            }
            if out.len() >= max {
                return Ok(None);
            }
            out.push(b);
        }
    }

    /// Give back the underlying reader (buffered bytes are lost).
    pub fn into_inner(self) -> R {
        self.inner
    }
}
