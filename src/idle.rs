//! A socket that gives up when nothing moves: no byte read from the client and none written to
//! it for the timeout. It ends connections that send nothing, idle keep-alive connections, and
//! clients that stop reading a response (whose unsent body would otherwise be held forever).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner`, closed with `TimedOut` after `timeout` without progress in either direction.
pub struct IdleTimeout<T> {
    inner: T,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    pub fn new(inner: T, timeout: Duration) -> Self {
        IdleTimeout {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn progressed(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.timeout);
    }

    /// What a write to the inner socket gave: bytes written are progress; not ready, the
    /// deadline is checked.
    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.check(cx).map(Err),
        }
    }

    /// Called when the inner socket is not ready: fails once the deadline has passed (the
    /// sleep also wakes the task then, so an idle connection is noticed without traffic).
    fn check(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "no bytes in either direction within the idle timeout",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.check(cx).map(Err),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, data);
        this.wrote(cx, written)
    }

    /// Passed through, so that hyper writes a response's head and body with one `writev`
    /// instead of first copying the body into its own buffer (a socket that says it cannot
    /// write vectors gets every body flattened: a copy of each page's bytes).
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.wrote(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.check(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::IdleTimeout;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWrite as _, AsyncWriteExt};

    #[tokio::test]
    async fn writes_vectors_when_the_socket_can() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let mut wrapped = IdleTimeout::new(accepted.unwrap().0, Duration::from_secs(5));
        // hyper copies every body into its own buffer unless the socket says it writes vectors.
        assert!(wrapped.is_write_vectored());
        let slices = [
            std::io::IoSlice::new(b"head,"),
            std::io::IoSlice::new(b"body"),
        ];
        let written = wrapped.write_vectored(&slices).await.unwrap();
        wrapped.shutdown().await.unwrap();
        let mut got = Vec::new();
        client.unwrap().read_to_end(&mut got).await.unwrap();
        assert_eq!(&got[..], &b"head,body"[..written]);
        assert!(written > 5, "both slices in one write, got {written} bytes");
    }

    #[tokio::test]
    async fn gives_up_only_when_nothing_moves() {
        let (client, server) = tokio::io::duplex(64);
        let mut wrapped = IdleTimeout::new(server, Duration::from_millis(200));
        let mut client = client;
        // Traffic within the timeout keeps it alive past several timeouts.
        let writer = tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                client.write_all(b"x").await.unwrap();
            }
            client
        });
        let mut buf = [0u8; 1];
        for _ in 0..5 {
            wrapped.read_exact(&mut buf).await.unwrap();
        }
        let _client = writer.await.unwrap();
        // Then silence: the read fails with TimedOut after about 200 ms.
        let started = std::time::Instant::now();
        let error = wrapped.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(150));
    }
}
