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
    frames: Frames,
}

/// How pickle FRAMEs are read. CPython reads them two ways: over bytes
/// (`pickle.loads`) a frame is only a length and everything is read in
/// order; over a file (`pickle.load`, and `torch.load` on `data.pkl`) the
/// C unpickler (before 3.13.15/3.14.7) reads the frame into a buffer, and
/// an operand that runs past the buffer's end drops what is left of it and
/// is read afresh after the frame, so the same bytes mean other opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameReading {
    /// In order, as `pickle.loads` reads; divergences are only noted.
    InOrder,
    /// As the C unpickler reads a file.
    FromFile,
}

#[derive(Debug)]
struct Frames {
    reading: FrameReading,
    /// Stream offset where the buffered frame ends (0: none).
    end: u64,
    /// Where the two readings first part, if they do.
    diverged: Option<u64>,
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
            frames: Frames {
                reading: FrameReading::InOrder,
                end: 0,
                diverged: None,
            },
        }
    }

    /// Read frames the way `reading` says.
    pub fn frame_reading(mut self, reading: FrameReading) -> Self {
        self.frames.reading = reading;
        self
    }

    /// Where reading frames from a file would first read other bytes than
    /// reading in order, if anywhere so far.
    pub fn frames_diverge(&self) -> Option<u64> {
        self.frames.diverged
    }

    /// A FRAME opcode announced `len` bytes, starting here.
    pub fn begin_frame(&mut self, len: u64) -> ReadResult<()> {
        let at = self.offset();
        let end = self.frames.end;
        if at < end && at.saturating_add(len) > end {
            // A frame that starts inside the buffered one and reaches past
            // it: the C unpickler drops the rest of the buffer and reads
            // the new frame after it.
            self.diverge(at);
            if self.frames.reading == FrameReading::FromFile {
                self.skip_plain(end - at)?;
                self.frames.end = end.saturating_add(len);
                return Ok(());
            }
        }
        if at >= end {
            self.frames.end = at.saturating_add(len);
        }
        Ok(())
    }

    fn diverge(&mut self, at: u64) {
        self.frames.diverged.get_or_insert(at);
    }

    /// Before an operand of `n` bytes: one that runs past the buffered
    /// frame's end is where the readings part; read from a file, the rest
    /// of the frame is dropped first.
    #[inline]
    fn operand(&mut self, n: u64) -> ReadResult<()> {
        let at = self.offset();
        let end = self.frames.end;
        if at < end && at + n > end {
            self.diverge(at);
            if self.frames.reading == FrameReading::FromFile {
                self.skip_plain(end - at)?;
            }
        }
        Ok(())
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
        if self.frames.end != 0 {
            self.operand(out.len() as u64)?;
        }
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

    /// Skip `n` bytes (an operand) without keeping them.
    pub fn skip(&mut self, n: u64) -> ReadResult<()> {
        if self.frames.end != 0 {
            self.operand(n)?;
        }
        self.skip_plain(n)
    }

    fn skip_plain(&mut self, mut n: u64) -> ReadResult<()> {
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

    /// A line without its `\n`, at most `max` bytes long. A line that does
    /// not end inside the buffered frame is where the readings part; read
    /// from a file, the C unpickler drops the partial line and reads a
    /// whole line after the frame.
    pub fn line(&mut self, max: usize) -> ReadResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        let end = self.frames.end;
        let start = self.offset();
        loop {
            if start < end && self.offset() == end {
                self.diverge(start);
                if self.frames.reading == FrameReading::FromFile {
                    out.clear();
                    self.frames.end = 0;
                    return self.line(max);
                }
            }
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
