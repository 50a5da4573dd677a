//! Guest stdout and stderr go to the host's log (its stderr), one line at a time, with the
//! component's id in front (docs/design.md, "The host").
//!
//! The only test of this binary: it points the process's stderr at a pipe for a moment.

use std::io::Read;
use std::os::fd::FromRawFd;

use tds_tests::probe::start_probe;

#[tokio::test(flavor = "multi_thread")]
async fn guest_output_is_logged_line_by_line_with_the_component_id() {
    let app = start_probe().await;

    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read_fd, write_fd) = (fds[0], fds[1]);
    let saved_stderr = unsafe { libc::dup(2) };
    assert!(saved_stderr >= 0);
    // Drain the pipe concurrently so a full pipe can never block the host.
    let reader = std::thread::spawn(move || {
        let mut captured = String::new();
        let mut pipe = unsafe { std::fs::File::from_raw_fd(read_fd) };
        pipe.read_to_string(&mut captured).ok();
        captured
    });
    assert!(unsafe { libc::dup2(write_fd, 2) } >= 0);

    let answer = app.get("/probe/stdout").await;

    // Restore stderr and close every write end of the pipe, so the reader sees its end.
    unsafe {
        libc::dup2(saved_stderr, 2);
        libc::close(saved_stderr);
        libc::close(write_fd);
    }
    let captured = reader.join().unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);

    let lines: Vec<&str> = captured.lines().collect();
    for expected in [
        "[probe] probe stdout line one",
        "[probe] probe stdout line two",
        "[probe] probe stderr line",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} missing from the log:\n{captured}"
        );
    }
    let one = lines
        .iter()
        .position(|l| *l == "[probe] probe stdout line one")
        .unwrap();
    let two = lines
        .iter()
        .position(|l| *l == "[probe] probe stdout line two")
        .unwrap();
    assert!(one < two, "lines keep their order:\n{captured}");
}
