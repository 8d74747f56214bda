//! [`Patient`]: a socket that gives up on a client that makes no progress — reads nothing
//! and takes nothing — for a while. HTTP's slow readers and idle keep-alive connections give
//! their socket back this way; a client taking a file slowly but steadily keeps it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `S`, failing with `TimedOut` once neither a read nor a write has moved a byte for `patience`
/// while one waits.
#[derive(Debug)]
pub struct Patient<S> {
    io: S,
    patience: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Patient<S> {
    /// Wraps `io`.
    pub fn new(io: S, patience: Duration) -> Patient<S> {
        Patient { io, patience, deadline: Box::pin(tokio::time::sleep(patience)) }
    }

    /// The socket itself (a WebSocket session keeps its own idle timeout).
    pub fn into_inner(self) -> S {
        self.io
    }

    fn progressed(&mut self) {
        let patience = self.patience;
        self.deadline.as_mut().reset(Instant::now() + patience);
    }

    /// A write's outcome: a byte taken is progress; a wait counts against the patience.
    fn wrote(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(result) => {
                if result.as_ref().is_ok_and(|&n| n > 0) {
                    self.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => self.waiting(cx),
        }
    }

    /// A wait: `Pending`, or the error once patience has run out.
    fn waiting<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client made no progress")))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Patient<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.waiting(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Patient<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, data);
        this.wrote(cx, polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_flush(cx) {
            Poll::Pending => this.waiting(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_shutdown(cx) {
            Poll::Pending => this.waiting(cx),
            ready => ready,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn no_progress_for_the_patience_fails_and_progress_resets_it() {
        let (ours, mut theirs) = tokio::io::duplex(16);
        let mut ours = Patient::new(ours, Duration::from_secs(10));
        // Steady progress: a byte every 9 s for a minute is fine.
        for _ in 0..7 {
            tokio::time::sleep(Duration::from_secs(9)).await;
            theirs.write_all(b"x").await.unwrap();
            assert_eq!(ours.read_u8().await.unwrap(), b'x');
        }
        // A reader that takes nothing: the write waits, then fails.
        let started = Instant::now();
        let err = ours.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }
}
