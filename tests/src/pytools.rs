//! The Python test tools (`scripts/requirements-test.txt`: schemathesis, kubernetes-validate)
//! that `./scripts/test` installs into the venv `target/pytools`.

use std::path::PathBuf;

use crate::repo_root;

/// The venv's executable `name` (`python`, `st`, …); panics saying how to install it.
pub fn tool(name: &str) -> PathBuf {
    let path = repo_root().join("target/pytools/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run ./scripts/test, which installs the Python test tools into \
         target/pytools (scripts/requirements-test.txt)",
        path.display()
    );
    path
}
