//! Whether the managed configuration file is protected as a deployment
//! needs: a user who can change it can point every sign-in on the machine at
//! another authority, so only an administrator may write it or its folder.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The protection of the managed file, for `graphlink doctor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedFileCheck {
    pub path: PathBuf,
    /// The reasons someone other than an administrator can change the file; empty when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl ManagedFileCheck {
    #[must_use]
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the owner and mode of the managed file and its folder. Returns
/// `None` when no managed file exists, or on platforms where Unix modes do
/// not apply.
#[must_use]
pub fn check(path: &Path) -> Option<ManagedFileCheck> {
    if !path.exists() {
        return None;
    }
    let mut problems = Vec::new();
    let folder = path.parent().unwrap_or_else(|| Path::new("/"));
    for (subject, target) in [("the file", path), ("its folder", folder)] {
        problems.extend(problems_of(subject, target));
    }
    Some(ManagedFileCheck { path: path.to_path_buf(), problems })
}

#[cfg(unix)]
fn problems_of(subject: &str, target: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt as _;

    let metadata = match std::fs::metadata(target) {
        Ok(metadata) => metadata,
        Err(error) => return vec![format!("{subject} ({}) could not be inspected: {error}", target.display())],
    };
    let mut problems = Vec::new();
    if metadata.uid() != 0 {
        problems.push(format!("{subject} ({}) is owned by user ID {}, not root; run `chown root:root` on it", target.display(), metadata.uid()));
    }
    let mode = metadata.mode() & 0o777;
    if mode & 0o022 != 0 {
        problems.push(format!("{subject} ({}) has mode {mode:o}, so other users can change it; run `chmod go-w` on it", target.display()));
    }
    problems
}

#[cfg(not(unix))]
fn problems_of(_subject: &str, _target: &Path) -> Vec<String> {
    // NOTE: on Windows the ACL of %ProgramData%\Graphlink is not checked.
    Vec::new()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// Returns the check of a managed file with `mode`, in a folder with mode 755.
    fn check_with_mode(mode: u32) -> ManagedFileCheck {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "client_id = \"x\"\n").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        check(&file).expect("the file exists")
    }

    #[test]
    fn writable_by_others_flagged() {
        let report = check_with_mode(0o666);

        assert!(!report.ok());
        assert!(report.problems.iter().any(|problem| problem.starts_with("the file") && problem.contains("mode 666")), "{:?}", report.problems);
        assert!(!report.problems.iter().any(|problem| problem.starts_with("its folder") && problem.contains("mode")), "{:?}", report.problems);
    }

    #[test]
    fn protected_file_has_no_mode_problem() {
        let report = check_with_mode(0o644);

        // The owner depends on who runs the test; the modes do not.
        assert!(!report.problems.iter().any(|problem| problem.contains("mode")), "{:?}", report.problems);
    }

    #[test]
    fn missing_file_is_not_checked() {
        assert_eq!(check(Path::new("/nonexistent/graphlink/config.toml")), None);
    }
}
