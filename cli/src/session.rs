//! The signed-in session: the Tokens kept between commands, as one JSON file readable by the
//! user only (0600) in the data folder. The only place the CLI stores tokens, so that it can
//! move to the client library's local database in one step.

use parley_client::Tokens;
use std::io::Write;
use std::path::{Path, PathBuf};

const FILE: &str = "session.json";

pub struct Session {
    path: PathBuf,
}

impl Session {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(FILE),
        }
    }

    /// The saved tokens, `None` when signed out.
    pub fn load(&self) -> Result<Option<Tokens>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                format!(
                    "the session file {} is damaged ({e}): `parley logout` removes it",
                    self.path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }

    /// Replaces the saved tokens. Written beside, then renamed: a crash leaves the old file
    /// or the new one, never half of one.
    pub fn save(&self, tokens: &Tokens) -> Result<(), String> {
        let dir = self.path.parent().expect("the file is in a folder");
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let temporary = self.path.with_extension("json.new");
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", temporary.display());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(fail)?;
        let json = serde_json::to_vec(tokens).expect("tokens serialize");
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .map_err(fail)?;
        std::fs::rename(&temporary, &self.path)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }

    /// Forgets the tokens; true when there were some.
    pub fn clear(&self) -> Result<bool, String> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("cannot remove {}: {e}", self.path.display())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            user_id: "u-1".into(),
            username: "ann@example.test".into(),
            id_token: "id".into(),
            access_token: "access".into(),
            refresh_token: "refresh".into(),
            expires_at: 1_800_000_000,
        }
    }

    #[test]
    fn saves_loads_and_clears_a_private_file() {
        let dir = std::env::temp_dir().join(format!("parley-session-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let session = Session::in_dir(&dir.join("nested"));
        assert_eq!(session.load().unwrap(), None);
        session.save(&tokens()).unwrap();
        assert_eq!(session.load().unwrap(), Some(tokens()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(session.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        assert!(session.clear().unwrap());
        assert!(!session.clear().unwrap());
        assert_eq!(session.load().unwrap(), None);
    }

    #[test]
    fn a_damaged_file_says_how_to_recover() {
        let dir = std::env::temp_dir().join(format!("parley-session-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(FILE), "{").unwrap();
        let error = Session::in_dir(&dir).load().unwrap_err();
        assert!(error.contains("parley logout"), "{error}");
    }
}
