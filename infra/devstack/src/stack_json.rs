//! `.devstack/stack.json`: how clients and tests find the running local stack (see
//! "The local stack" in the protocol). Written atomically once everything serves, so a
//! reader never sees half a file, and removed on exit, so a stale file means a crash.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::stack_spec::StackSpec;
use crate::template::{LocalStack, Resolver, TemplateError};

/// The file's shape is declared in the protocol crate, which its readers share.
pub use parley_protocol::stack_file::StackFile;

/// Describes a provisioned stack. The contract's single pool, client and bucket are the
/// first the template declares.
pub fn describe(
    resolver: &Resolver,
    spec: &StackSpec,
    local: &LocalStack,
) -> Result<StackFile, TemplateError> {
    let ids_of = |kind: &str| -> BTreeMap<String, String> {
        resolver
            .template()
            .resources_of_kind(kind)
            .filter_map(|r| {
                let physical = resolver.physical(&r.logical_id)?;
                Some((r.logical_id.clone(), physical.id.clone()))
            })
            .collect()
    };
    let first_of = |kind: &str| -> Result<String, TemplateError> {
        resolver
            .template()
            .resources_of_kind(kind)
            .find_map(|r| resolver.physical(&r.logical_id))
            .map(|physical| physical.id.clone())
            .ok_or_else(|| {
                TemplateError::Invalid(format!(
                    "stack.json needs a {kind}, and the template creates none"
                ))
            })
    };
    let user_pool_id = first_of("AWS::Cognito::UserPool")?;
    Ok(StackFile {
        websocket_url: local.websocket_url(&spec.websocket.stage),
        aws_endpoint: local.aws_endpoint.clone(),
        region: local.region.clone(),
        user_pool_client_id: first_of("AWS::Cognito::UserPoolClient")?,
        bucket: first_of("AWS::S3::Bucket")?,
        management_endpoint: local.management_endpoint(&spec.websocket.stage),
        jwks_url: local.jwks_url(&user_pool_id),
        user_pool_id,
        connections_table: spec
            .functions
            .iter()
            .find_map(|f| f.env.get("CONNECTIONS_TABLE").cloned()),
        tables: ids_of("AWS::DynamoDB::Table"),
        buckets: ids_of("AWS::S3::Bucket"),
        topics: ids_of("AWS::SNS::Topic"),
    })
}

/// Writes the file (creating its directory) through a temporary file and a rename.
/// The returned guard removes it again.
pub fn write(file: &StackFile, path: &Path) -> io::Result<WrittenStackFile> {
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let json = serde_json::to_vec_pretty(file).map_err(io::Error::other)?;
    let written = std::fs::write(&temporary, json).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    Ok(WrittenStackFile {
        path: Some(path.to_owned()),
    })
}

pub fn read(path: &Path) -> io::Result<StackFile> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A written stack file; removed by [`WrittenStackFile::remove`] or on drop.
#[derive(Debug)]
pub struct WrittenStackFile {
    path: Option<PathBuf>,
}

impl WrittenStackFile {
    pub fn path(&self) -> &Path {
        self.path.as_deref().expect("present until removed")
    }

    pub fn remove(mut self) -> io::Result<()> {
        match self.path.take() {
            Some(path) => remove_if_present(&path),
            None => Ok(()),
        }
    }
}

impl Drop for WrittenStackFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            if let Err(error) = remove_if_present(&path) {
                tracing::warn!(path = %path.display(), %error, "cannot remove stack file");
            }
        }
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StackFile {
        StackFile {
            websocket_url: "ws://127.0.0.1:8790/prod".into(),
            aws_endpoint: "http://127.0.0.1:8791".into(),
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_abc".into(),
            user_pool_client_id: "client".into(),
            bucket: "parley-local-filesbucket".into(),
            management_endpoint: "http://127.0.0.1:8790/prod".into(),
            jwks_url: "http://127.0.0.1:8791/us-east-1_abc/.well-known/jwks.json".into(),
            connections_table: Some("parley-local-ConnectionsTable".into()),
            tables: BTreeMap::from([(
                "ConnectionsTable".into(),
                "parley-local-ConnectionsTable".into(),
            )]),
            buckets: BTreeMap::new(),
            topics: BTreeMap::new(),
        }
    }

    fn scratch_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("devstack-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_the_contract_keys_and_removes_the_file() {
        let dir = scratch_dir("stackfile");
        let path = dir.join(".devstack/stack.json");
        let written = write(&sample(), &path).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for key in [
            "websocketUrl",
            "awsEndpoint",
            "region",
            "userPoolId",
            "userPoolClientId",
            "bucket",
        ] {
            assert!(json[key].is_string(), "{key} in {json}");
        }
        assert_eq!(
            json["tables"]["ConnectionsTable"],
            "parley-local-ConnectionsTable"
        );
        assert_eq!(read(&path).unwrap(), sample());
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");

        written.remove().unwrap();
        assert!(!path.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dropping_the_guard_removes_the_file() {
        let dir = scratch_dir("stackfile-drop");
        let path = dir.join("stack.json");
        drop(write(&sample(), &path).unwrap());
        assert!(!path.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
