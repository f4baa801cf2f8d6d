//! The compressions joblib writes (zlib, gzip, bz2, xz, lzma), recognised
//! by magic bytes and decompressed as a stream with an expansion limit.

use std::io::{self, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Zlib,
    Gzip,
    Bzip2,
    Xz,
    Lzma,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bz2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
        }
    }
}

pub fn sniff(head: &[u8]) -> Option<Codec> {
    match head {
        [0x1f, 0x8b, ..] => Some(Codec::Gzip),
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some(Codec::Bzip2),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some(Codec::Xz),
        [0x5d, 0, 0, ..] => Some(Codec::Lzma),
        [cmf, flg, ..]
            if cmf & 0x0f == 8
                && (*cmf as u16 * 256 + *flg as u16).is_multiple_of(31)
                && cmf >> 4 <= 7 =>
        {
            Some(Codec::Zlib)
        }
        _ => None,
    }
}

/// A decompressing reader. xz and lzma have no streaming reader in pure
/// Rust, so they are decompressed into memory, up to `limit` bytes.
pub fn decoder(codec: Codec, input: Box<dyn Read>, limit: u64) -> io::Result<Box<dyn Read>> {
    Ok(match codec {
        Codec::Zlib => Box::new(flate2::read::ZlibDecoder::new(input)),
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Codec::Xz | Codec::Lzma => {
            let mut sink = Capped {
                out: Vec::new(),
                limit,
                over: false,
            };
            let mut reader = io::BufReader::new(input);
            let r = if codec == Codec::Xz {
                lzma_rs::xz_decompress(&mut reader, &mut sink)
            } else {
                lzma_rs::lzma_decompress(&mut reader, &mut sink)
            };
            if sink.over {
                // Past the limit is not damage: say which it is.
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "{} data expands beyond the {limit}-byte limit for nested content; not scanned",
                        codec.name()
                    ),
                ));
            }
            r.map_err(|e| io::Error::other(format!("{} data: {e:?}", codec.name())))?;
            Box::new(io::Cursor::new(sink.out))
        }
    })
}

struct Capped {
    out: Vec<u8>,
    limit: u64,
    over: bool,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.limit {
            self.over = true;
            return Err(io::Error::other(format!(
                "expands beyond {} bytes",
                self.limit
            )));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
