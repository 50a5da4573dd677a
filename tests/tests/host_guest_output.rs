//! Guest stdout and stderr go to the host's log (its stderr), one line at a time, with the
//! component's id in front (docs/design.md, "The host").
//!
//! The only test of this binary: it points the process's stderr at a pipe for a moment.

use tds_tests::capture::LogCapture;
use tds_tests::probe::start_probe;

#[tokio::test(flavor = "multi_thread")]
async fn guest_output_is_logged_line_by_line_with_the_component_id() {
    let app = start_probe().await;

    let capture = LogCapture::start();
    let answer = app.get("/probe/stdout").await;
    let captured = capture.finish();
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
