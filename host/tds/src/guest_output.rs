//! Guest stdout and stderr, written to the host's stderr one line at a time with the
//! component's id in front (`[intake] {"level":"info",…}`), so the output of many
//! components and instances can be told apart and grepped. A line longer than 64 KiB is
//! split; a partial last line is written when the stream is dropped.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

const MAX_LINE: usize = 64 * 1024;

/// A WASI output stream for one component.
#[derive(Clone)]
pub struct PrefixedOutput {
    prefix: Arc<str>,
}

impl PrefixedOutput {
    pub fn new(component_id: &str) -> Self {
        Self {
            prefix: Arc::from(format!("[{component_id}] ")),
        }
    }
}

impl IsTerminal for PrefixedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for PrefixedOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            prefix: self.prefix.clone(),
            pending: Vec::new(),
        })
    }
}

struct LineWriter {
    prefix: Arc<str>,
    pending: Vec<u8>,
}

impl LineWriter {
    /// Writes the prefixed line in one write: stderr is unbuffered, so each part written
    /// on its own would be a system call of its own.
    fn emit(&self, line: &[u8]) {
        let mut prefixed = Vec::with_capacity(self.prefix.len() + line.len() + 1);
        prefixed.extend_from_slice(self.prefix.as_bytes());
        prefixed.extend_from_slice(line);
        prefixed.push(b'\n');
        let _ = std::io::stderr().lock().write_all(&prefixed);
    }

    fn drain_complete_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        while self.pending.len() > MAX_LINE {
            let chunk: Vec<u8> = self.pending.drain(..MAX_LINE).collect();
            self.emit(&chunk);
        }
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        self.drain_complete_lines();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
    }
}
