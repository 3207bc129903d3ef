//! An opt-in record of every `@connections` post body, for tests that must prove what the
//! functions sent to clients (the ciphertext scan of issue 15 looks for a canary in it).
//! API Gateway keeps no such record and a deployed stack has none: it exists only here, off
//! unless `--record-posts FILE` / `DEVSTACK_RECORD_POSTS` names a file.
//!
//! Each post is appended as a header line `POST <connection id> <byte count>\n`, then the
//! body's bytes exactly as posted (text or not), then `\n`; a reader splits records by the
//! counts ([`read`]).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Appends post bodies to one file.
#[derive(Debug)]
pub struct PostRecorder {
    path: PathBuf,
    file: Mutex<File>,
}

impl PostRecorder {
    /// Opens `path` for appending (created when missing; earlier records are kept).
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one post: one write, so concurrent posts never interleave.
    pub fn record(&self, connection_id: &str, body: &[u8]) {
        let mut record = format!("POST {connection_id} {}\n", body.len()).into_bytes();
        record.extend_from_slice(body);
        record.push(b'\n');
        let written = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .write_all(&record);
        if let Err(error) = written {
            tracing::warn!(target: "parley_devstack::gateway", path = %self.path.display(), %error, "could not record a post");
        }
    }
}

/// One recorded post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPost {
    pub connection_id: String,
    pub body: Vec<u8>,
}

/// The posts a recorder's file holds, in order; `None` when the file is not a record (a
/// torn last record, while a post is being written, ends the list instead).
pub fn read(bytes: &[u8]) -> Option<Vec<RecordedPost>> {
    let mut posts = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            break;
        };
        let header = std::str::from_utf8(&rest[..end]).ok()?;
        let mut words = header.split(' ');
        let (Some("POST"), Some(id), Some(count), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return None;
        };
        let count: usize = count.parse().ok()?;
        let body_start = end + 1;
        if rest.len() < body_start + count + 1 {
            break;
        }
        posts.push(RecordedPost {
            connection_id: id.to_owned(),
            body: rest[body_start..body_start + count].to_vec(),
        });
        rest = &rest[body_start + count + 1..];
    }
    Some(posts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_posted_whatever_the_bytes() {
        let dir = std::env::temp_dir().join(format!("post-recorder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("posts");
        let _ = std::fs::remove_file(&path);
        let recorder = PostRecorder::open(&path).unwrap();
        recorder.record("abc=", br#"{"type":"message"}"#);
        recorder.record("def=", b"two\nlines\n");
        recorder.record("ghi=", &[0xff, 0x00, b'\n']);
        drop(recorder);
        // Reopening appends.
        PostRecorder::open(&path).unwrap().record("jkl=", b"");
        let posts = read(&std::fs::read(&path).unwrap()).unwrap();
        let got: Vec<(&str, &[u8])> = posts
            .iter()
            .map(|p| (p.connection_id.as_str(), p.body.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                ("abc=", br#"{"type":"message"}"#.as_slice()),
                ("def=", b"two\nlines\n".as_slice()),
                ("ghi=", [0xff, 0x00, b'\n'].as_slice()),
                ("jkl=", b"".as_slice()),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_torn_last_record_ends_the_list_and_a_foreign_file_is_refused() {
        let whole = b"POST a 2\nhi\nPOST b 5\nhel";
        let posts = read(whole).unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].body, b"hi");
        assert_eq!(read(b"not a record\n"), None);
    }
}
