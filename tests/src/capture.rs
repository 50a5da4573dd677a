//! Capturing the process's log: everything written to its stderr (where the host writes
//! every guest's output, `[component] line`), and optionally the host's tracing, for tests
//! that assert what the log holds (or that a secret never reaches it).
//!
//! Stderr is one per process: a test binary that captures it runs that test alone (the
//! test's doc says so), and installs the only tracing subscriber of the binary.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest [`LogCapture::finish`] waits for the copying thread to read the pipe to its
/// end. It ends at once unless a child process started during the capture inherited
/// stderr and still runs; what was captured until then is returned anyway.
pub const READER_PATIENCE: Duration = Duration::from_secs(5);

/// The process's stderr pointed at a pipe from [`LogCapture::start`] to
/// [`LogCapture::finish`]. A thread of its own copies the pipe into memory as it fills
/// (so a full pipe can never block a writer, the host included), and echoes each line
/// that is not a guest's (`[component] …`: the test's own progress, panics, build output)
/// to the real stderr. Dropped without `finish`, it restores stderr.
pub struct LogCapture {
    captured: Arc<Mutex<Vec<u8>>>,
    saved_stderr: RawFd,
    write_end: RawFd,
    /// Signalled by the copying thread when the pipe has ended.
    copied: Option<mpsc::Receiver<()>>,
}

/// Appends to the capture (the tracing writer).
struct Appender(Arc<Mutex<Vec<u8>>>);

impl Write for Appender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Starts capturing stderr.
    pub fn start() -> LogCapture {
        let captured = Arc::new(Mutex::new(Vec::new()));
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let (read_end, write_end) = (fds[0], fds[1]);
        let saved_stderr = unsafe { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3) };
        assert!(saved_stderr >= 0, "duplicating stderr");
        let (sink, echo_fd) = (captured.clone(), saved_stderr);
        let (copied, done) = mpsc::channel();
        std::thread::spawn(move || {
            copy_stderr(read_end, echo_fd, &sink);
            let _ = copied.send(());
        });
        assert!(unsafe { libc::dup2(write_end, 2) } >= 0, "pointing stderr at the pipe");
        LogCapture {
            captured,
            saved_stderr,
            write_end,
            copied: Some(done),
        }
    }

    /// Starts capturing stderr and installs the binary's tracing subscriber, writing the
    /// host's tracing up to `level` (without colours) into the same capture.
    pub fn start_with_tracing(level: tracing::Level) -> LogCapture {
        let capture = LogCapture::start();
        let writer = capture.captured.clone();
        tracing_subscriber::fmt()
            .with_writer(move || Appender(writer.clone()))
            .with_max_level(level)
            .with_ansi(false)
            .try_init()
            .expect("the only tracing subscriber of this binary");
        capture
    }

    /// Restores stderr and waits (up to [`READER_PATIENCE`]) until the copying thread has
    /// read the pipe to its end; everything captured, as text.
    pub fn finish(mut self) -> String {
        self.restore();
        let copied = self.copied.take().expect("finished once");
        // Once the thread is done, so is its use of the real stderr it echoed to; while
        // another holder keeps the pipe open, the thread may still echo, and keeps it.
        if copied.recv_timeout(READER_PATIENCE).is_ok() {
            unsafe { libc::close(self.saved_stderr) };
        }
        String::from_utf8_lossy(&self.captured.lock().unwrap()).to_string()
    }

    /// Points stderr back at the real one and closes this process's write end of the pipe.
    fn restore(&mut self) {
        if self.write_end >= 0 {
            unsafe {
                libc::dup2(self.saved_stderr, 2);
                libc::close(self.write_end);
            }
            self.write_end = -1;
        }
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Copies the pipe at `read_end` into `sink` until it ends, echoing each line that is not
/// a guest's (`[component] …`) to `echo_fd`.
fn copy_stderr(read_end: RawFd, echo_fd: RawFd, sink: &Mutex<Vec<u8>>) {
    let mut pipe = unsafe { std::fs::File::from_raw_fd(read_end) };
    let mut echo = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(echo_fd) });
    let mut pending = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    while let Ok(n) = pipe.read(&mut buffer) {
        if n == 0 {
            break;
        }
        sink.lock().unwrap().extend_from_slice(&buffer[..n]);
        pending.extend_from_slice(&buffer[..n]);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if !line.starts_with(b"[") {
                let _ = echo.write_all(&line);
            }
        }
    }
}
