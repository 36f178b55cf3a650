//! Length-prefixed postcard frames on a QUIC stream. Every frame has a cap that is checked
//! before anything is allocated, so a peer cannot make us reserve memory by claiming a length.

use std::time::Duration;

use quinn::{ReadExactError, RecvStream, SendStream};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reading or writing a frame failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended cleanly between frames.
    #[error("the stream ended")]
    Finished,
    /// The peer announced a frame larger than allowed.
    #[error("frame of {len} bytes is larger than the limit of {cap} bytes")]
    TooLarge { len: usize, cap: usize },
    /// The bytes are not a valid message.
    #[error("malformed message: {0}")]
    Malformed(#[from] postcard::Error),
    /// A frame began and its rest did not follow in time.
    #[error("a frame began and did not finish within {} s", FRAME_DEADLINE.as_secs())]
    Stalled,
    /// The connection or stream failed.
    #[error("connection lost: {0}")]
    Connection(String),
}

impl FrameError {
    /// The peer broke the protocol (as opposed to the connection going away).
    pub fn is_misbehaviour(&self) -> bool {
        matches!(
            self,
            FrameError::TooLarge { .. } | FrameError::Malformed(_) | FrameError::Stalled
        )
    }
}

/// Encodes `msg` and writes it as one frame. Refuses (without writing) messages over `cap`.
pub async fn write_frame<T: Serialize>(
    send: &mut SendStream,
    msg: &T,
    cap: usize,
) -> Result<(), FrameError> {
    // Reserve the 4-byte length prefix, encode after it, then fill the prefix in.
    let mut buf = postcard::to_extend(msg, vec![0u8; 4])?;
    let len = buf.len() - 4;
    if len > cap {
        return Err(FrameError::TooLarge { len, cap });
    }
    buf[..4].copy_from_slice(&(len as u32).to_le_bytes());
    send.write_all(&buf)
        .await
        .map_err(|e| FrameError::Connection(e.to_string()))
}

/// Once a frame has begun, how long its rest may take.
pub const FRAME_DEADLINE: Duration = Duration::from_secs(5);

/// Reads one frame's bytes into `buf` (reused between calls). The first byte may take as long as
/// the peer likes (an idle player sends nothing); once it has come, the rest of the frame must
/// follow within [`FRAME_DEADLINE`], so half a frame cannot hold a connection open.
pub async fn read_raw_frame<'b>(
    recv: &mut RecvStream,
    cap: usize,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], FrameError> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len[..1]).await {
        Ok(()) => {}
        Err(ReadExactError::FinishedEarly(0)) => return Err(FrameError::Finished),
        Err(e) => return Err(FrameError::Connection(e.to_string())),
    }
    let rest = async {
        recv.read_exact(&mut len[1..])
            .await
            .map_err(|e| FrameError::Connection(e.to_string()))?;
        let len = frame_len(len, cap)?;
        buf.clear();
        buf.resize(len, 0);
        recv.read_exact(buf)
            .await
            .map_err(|e| FrameError::Connection(e.to_string()))
    };
    tokio::time::timeout(FRAME_DEADLINE, rest)
        .await
        .map_err(|_| FrameError::Stalled)??;
    Ok(buf)
}

/// Reads and decodes one frame.
pub async fn read_frame<T: DeserializeOwned>(
    recv: &mut RecvStream,
    cap: usize,
    buf: &mut Vec<u8>,
) -> Result<T, FrameError> {
    decode(read_raw_frame(recv, cap, buf).await?)
}

/// The body length a 4-byte prefix announces, refused past `cap` before anything is allocated.
pub fn frame_len(prefix: [u8; 4], cap: usize) -> Result<usize, FrameError> {
    let len = u32::from_le_bytes(prefix) as usize;
    if len > cap {
        return Err(FrameError::TooLarge { len, cap });
    }
    Ok(len)
}

/// Decodes one frame's body. Trailing bytes after the message are malformed too: a frame is
/// exactly one message.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    let (msg, rest) = postcard::take_from_bytes(body)?;
    if !rest.is_empty() {
        return Err(FrameError::Malformed(
            postcard::Error::DeserializeBadEncoding,
        ));
    }
    Ok(msg)
}
