//! The ciphertext scan of issue 15: looks for a canary (a random string a test sent as a
//! message or file) everywhere the server keeps or sends data: every attribute of every item
//! of every DynamoDB table (binary ones as bytes), every object of every S3 bucket (its key,
//! type, metadata and bytes), every line of the stack's log (the devstack's and every
//! function's), all of moto's SNS state (every publish to every platform endpoint), and every
//! `@connections` post body (the gateway's post record, `--record-posts`).
//!
//! A canary is looked for as raw bytes and in the encodings data commonly takes on its way
//! through JSON and storage ([`encodings`]): base64 (standard and URL-safe) at each of the
//! three offsets a canary can sit at inside a longer encoded value, hex (lower and upper case)
//! and JSON `\uXXXX` escapes. [`Corpus::collect`] reads everything once; [`Corpus::find`]
//! then looks for any number of needles. The `canary-scan` binary runs it from the command
//! line (the web client's browser scenario uses it).

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use parley_protocol::stack_file::StackFile;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::{bucket, sns, tables};

/// One way a needle may be written in stored or sent data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// How it is written: "raw", "base64 url-safe at offset 2", "hex upper", …
    pub encoding: String,
    pub bytes: Vec<u8>,
}

/// `needle` raw, in base64 (standard and URL-safe alphabets) at offsets 0, 1 and 2, in hex
/// (lower and upper case) and as JSON `\uXXXX` escapes (lower and upper case hex), without
/// duplicates.
///
/// Base64 turns every 3 bytes into 4 characters, so the same bytes encode differently
/// depending on where they start inside a longer value (their offset modulo 3). For each
/// offset the needle is encoded behind that many bytes, then the characters that also carry
/// bits of the bytes around it are cut off both ends: what remains appears in the encoding of
/// any value holding the needle at that offset.
pub fn encodings(needle: &str) -> Vec<Encoded> {
    let raw = needle.as_bytes();
    let mut all = vec![Encoded {
        encoding: "raw".into(),
        bytes: raw.to_vec(),
    }];
    for (alphabet, engine) in [("standard", STANDARD_NO_PAD), ("url-safe", URL_SAFE_NO_PAD)] {
        for offset in 0..3 {
            all.push(Encoded {
                encoding: format!("base64 {alphabet} at offset {offset}"),
                bytes: base64_core(&engine, raw, offset).into_bytes(),
            });
        }
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    all.push(Encoded {
        encoding: "hex lower".into(),
        bytes: hex.clone().into_bytes(),
    });
    all.push(Encoded {
        encoding: "hex upper".into(),
        bytes: hex.to_uppercase().into_bytes(),
    });
    let escaped = json_escaped(needle);
    all.push(Encoded {
        encoding: "JSON \\u escapes".into(),
        bytes: escaped.clone().into_bytes(),
    });
    all.push(Encoded {
        encoding: "JSON \\u escapes, upper hex".into(),
        bytes: upper_escapes(&escaped).into_bytes(),
    });
    let mut unique: Vec<Encoded> = Vec::new();
    for encoded in all {
        if !encoded.bytes.is_empty() && !unique.iter().any(|u| u.bytes == encoded.bytes) {
            unique.push(encoded);
        }
    }
    unique
}

/// The base64 characters that encode only `raw`'s bits when `raw` sits `offset` bytes into
/// a value (unpadded: padding belongs to the value's end).
fn base64_core(engine: &impl Engine, raw: &[u8], offset: usize) -> String {
    let mut shifted = vec![0u8; offset];
    shifted.extend_from_slice(raw);
    let text = engine.encode(&shifted);
    let bits = shifted.len() * 8;
    // Characters before this one carry bits of the bytes in front (6 bits a character).
    let first = (offset * 8).div_ceil(6);
    // Characters from this one on carry bits of the bytes behind.
    let last = bits / 6;
    text.get(first..last).unwrap_or_default().to_owned()
}

/// Every character as `\uXXXX` (surrogate pairs beyond the BMP), as a JSON writer that
/// escapes everything would write it.
fn json_escaped(text: &str) -> String {
    text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
}

fn upper_escapes(escaped: &str) -> String {
    escaped
        .split("\\u")
        .filter(|part| !part.is_empty())
        .map(|hex| format!("\\u{}", hex.to_uppercase()))
        .collect()
}

/// Where a piece of scanned data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Table,
    Bucket,
    Log,
    Sns,
    Posts,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Table,
        Source::Bucket,
        Source::Log,
        Source::Sns,
        Source::Posts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::Table => "DynamoDB",
            Source::Bucket => "S3",
            Source::Log => "stack log",
            Source::Sns => "SNS",
            Source::Posts => "@connections posts",
        }
    }
}

/// One piece of scanned data: an attribute value, an object, a log line, a post body.
#[derive(Debug, Clone)]
pub struct Place {
    pub source: Source,
    /// Where exactly, for a report: "table parley-messages, item {...}, attribute body".
    pub location: String,
    pub bytes: Vec<u8>,
}

/// A needle found somewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub source: Source,
    pub location: String,
    pub encoding: String,
    /// The bytes around it, as text.
    pub context: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}): …{}…",
            self.source.name(),
            self.location,
            self.encoding,
            self.context
        )
    }
}

/// Why a scan could not read everything.
#[derive(Debug)]
pub struct ScanError(pub String);

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

fn failed(what: &str, error: impl fmt::Debug) -> ScanError {
    ScanError(format!("{what}: {error:?}"))
}

/// Everything a stack holds and sent, read once.
#[derive(Debug, Default, Clone)]
pub struct Corpus {
    pub places: Vec<Place>,
}

impl Corpus {
    /// Reads every table, bucket and SNS state of `stack`, its log at `log` and its post
    /// record at `posts` (both must exist: a scan that silently read nothing would pass).
    pub async fn collect(stack: &StackFile, log: &Path, posts: &Path) -> Result<Self, ScanError> {
        let mut corpus = Corpus::default();
        corpus.add_tables(stack).await?;
        corpus.add_buckets(stack).await?;
        corpus.add_sns(stack).await?;
        corpus.add_log(&read(log)?);
        corpus.add_posts(&read(posts)?)?;
        Ok(corpus)
    }

    /// How many pieces of data came from `source`.
    pub fn count(&self, source: Source) -> usize {
        self.places.iter().filter(|p| p.source == source).count()
    }

    /// A line per source: how much was read.
    pub fn summary(&self) -> String {
        Source::ALL
            .iter()
            .map(|&s| format!("{}: {} read", s.name(), self.count(s)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Everywhere `needle` occurs, in any of its [`encodings`].
    pub fn find(&self, needle: &str) -> Vec<Finding> {
        let patterns = encodings(needle);
        let mut found = Vec::new();
        for place in &self.places {
            for pattern in &patterns {
                if let Some(at) = position(&place.bytes, &pattern.bytes) {
                    found.push(Finding {
                        source: place.source,
                        location: place.location.clone(),
                        encoding: pattern.encoding.clone(),
                        context: context(&place.bytes, at, pattern.bytes.len()),
                    });
                }
            }
        }
        found
    }

    /// The sources where `needle` occurs.
    pub fn sources_of(&self, needle: &str) -> Vec<Source> {
        let mut sources: Vec<Source> = self.find(needle).iter().map(|f| f.source).collect();
        sources.sort();
        sources.dedup();
        sources
    }

    fn push(&mut self, source: Source, location: String, bytes: Vec<u8>) {
        self.places.push(Place {
            source,
            location,
            bytes,
        });
    }

    async fn add_tables(&mut self, stack: &StackFile) -> Result<(), ScanError> {
        let db = tables::dynamodb(stack);
        let mut names = Vec::new();
        let mut start = None;
        loop {
            let page = db
                .list_tables()
                .set_exclusive_start_table_name(start)
                .send()
                .await
                .map_err(|e| failed("list the tables", e))?;
            names.extend(page.table_names().iter().cloned());
            start = page.last_evaluated_table_name().map(str::to_owned);
            if start.is_none() {
                break;
            }
        }
        for table in names {
            let described = db
                .describe_table()
                .table_name(&table)
                .send()
                .await
                .map_err(|e| failed("describe a table", e))?;
            let key_names: Vec<String> = described
                .table()
                .map(|t| {
                    t.key_schema()
                        .iter()
                        .map(|k| k.attribute_name().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let mut start = None;
            loop {
                let page = db
                    .scan()
                    .table_name(&table)
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| failed("scan a table", e))?;
                for item in page.items() {
                    self.add_item(&table, &key_names, item);
                }
                start = page.last_evaluated_key().cloned();
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(())
    }

    fn add_item(
        &mut self,
        table: &str,
        key_names: &[String],
        item: &HashMap<String, AttributeValue>,
    ) {
        let key: Vec<String> = key_names
            .iter()
            .map(|name| match item.get(name) {
                Some(AttributeValue::S(s)) => format!("{name}={s}"),
                Some(AttributeValue::N(n)) => format!("{name}={n}"),
                other => format!("{name}={other:?}"),
            })
            .collect();
        let at = format!("table {table}, item {}", key.join(" "));
        for (name, value) in item {
            self.push(
                Source::Table,
                format!("{at}, attribute name"),
                name.clone().into_bytes(),
            );
            self.add_value(&format!("{at}, attribute {name}"), value);
        }
    }

    /// Every leaf of an attribute value: strings and numbers as text, binaries as bytes.
    fn add_value(&mut self, at: &str, value: &AttributeValue) {
        let mut leaf = |bytes: Vec<u8>| self.push(Source::Table, at.to_owned(), bytes);
        match value {
            AttributeValue::S(s) | AttributeValue::N(s) => leaf(s.clone().into_bytes()),
            AttributeValue::B(b) => leaf(b.as_ref().to_vec()),
            AttributeValue::Ss(list) | AttributeValue::Ns(list) => {
                for s in list {
                    leaf(s.clone().into_bytes());
                }
            }
            AttributeValue::Bs(list) => {
                for b in list {
                    leaf(b.as_ref().to_vec());
                }
            }
            AttributeValue::L(list) => {
                for (i, v) in list.iter().enumerate() {
                    self.add_value(&format!("{at}[{i}]"), v);
                }
            }
            AttributeValue::M(map) => {
                for (name, v) in map {
                    self.push(
                        Source::Table,
                        format!("{at}, key"),
                        name.clone().into_bytes(),
                    );
                    self.add_value(&format!("{at}.{name}"), v);
                }
            }
            AttributeValue::Bool(_) | AttributeValue::Null(_) => {}
            other => leaf(format!("{other:?}").into_bytes()),
        }
    }

    async fn add_buckets(&mut self, stack: &StackFile) -> Result<(), ScanError> {
        let s3 = bucket::s3(stack);
        let buckets = s3
            .list_buckets()
            .send()
            .await
            .map_err(|e| failed("list the buckets", e))?;
        for name in buckets.buckets().iter().filter_map(|b| b.name()) {
            let mut token = None;
            loop {
                let page = s3
                    .list_objects_v2()
                    .bucket(name)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .map_err(|e| failed("list a bucket", e))?;
                for key in page.contents().iter().filter_map(|o| o.key()) {
                    let object = s3
                        .get_object()
                        .bucket(name)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| failed("get an object", e))?;
                    let at = format!("bucket {name}, object {key}");
                    self.push(
                        Source::Bucket,
                        format!("{at}, key"),
                        key.as_bytes().to_vec(),
                    );
                    let mut described = format!("{:?}", object.content_type());
                    described.push_str(&format!(" {:?}", object.content_disposition()));
                    described.push_str(&format!(" {:?}", object.metadata()));
                    self.push(
                        Source::Bucket,
                        format!("{at}, metadata"),
                        described.into_bytes(),
                    );
                    let body = object
                        .body
                        .collect()
                        .await
                        .map_err(|e| failed("read an object", e))?;
                    self.push(Source::Bucket, format!("{at}, bytes"), body.to_vec());
                }
                token = page.next_continuation_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Every string of moto's SNS state: each platform endpoint's published messages, and
    /// whatever else it records.
    async fn add_sns(&mut self, stack: &StackFile) -> Result<(), ScanError> {
        let state = sns::state(stack)
            .await
            .map_err(|e| failed("read moto's state", e))?;
        self.add_json(Source::Sns, "sns", &state["sns"]);
        Ok(())
    }

    fn add_json(&mut self, source: Source, at: &str, value: &Value) {
        match value {
            Value::String(s) => self.push(source, at.to_owned(), s.clone().into_bytes()),
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    self.add_json(source, &format!("{at}[{i}]"), v);
                }
            }
            Value::Object(map) => {
                for (name, v) in map {
                    self.push(source, format!("{at}, key"), name.clone().into_bytes());
                    self.add_json(source, &format!("{at}.{name}"), v);
                }
            }
            other => self.push(source, at.to_owned(), other.to_string().into_bytes()),
        }
    }

    /// Each line of the stack's log (the devstack's own, and each function's prefixed with
    /// its name).
    pub fn add_log(&mut self, log: &[u8]) {
        for (i, line) in log.split(|&b| b == b'\n').enumerate() {
            if !line.is_empty() {
                self.push(Source::Log, format!("log line {}", i + 1), line.to_vec());
            }
        }
    }

    /// Each post of the gateway's post record.
    pub fn add_posts(&mut self, record: &[u8]) -> Result<(), ScanError> {
        let posts = parley_devstack::gateway::post_recorder::read(record)
            .ok_or_else(|| ScanError("the post record is not one".into()))?;
        for (i, post) in posts.into_iter().enumerate() {
            self.push(
                Source::Posts,
                format!("post {} to connection {}", i + 1, post.connection_id),
                post.body,
            );
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ScanError> {
    std::fs::read(path).map_err(|e| ScanError(format!("read {}: {e}", path.display())))
}

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Up to 40 bytes either side of a match, as text with control characters escaped.
fn context(bytes: &[u8], at: usize, len: usize) -> String {
    let start = at.saturating_sub(40);
    let end = (at + len + 40).min(bytes.len());
    String::from_utf8_lossy(&bytes[start..end])
        .escape_debug()
        .to_string()
}

/// The findings as a report, one per line.
pub fn report(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "canary-3f9c2a7be01d4c55a8e6d2b71f0c9e43";

    fn corpus_of(bytes: &[u8]) -> Corpus {
        Corpus {
            places: vec![Place {
                source: Source::Table,
                location: "here".into(),
                bytes: bytes.to_vec(),
            }],
        }
    }

    fn random_bytes(n: usize) -> Vec<u8> {
        (0..n).map(|_| fastrand::u8(..)).collect()
    }

    fn encodings_found(bytes: &[u8]) -> Vec<String> {
        corpus_of(bytes)
            .find(CANARY)
            .into_iter()
            .map(|f| f.encoding)
            .collect()
    }

    #[test]
    fn a_canary_inside_a_base64_blob_is_found_at_every_offset_in_both_alphabets() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        for (alphabet, engine) in [("standard", STANDARD), ("url-safe", URL_SAFE)] {
            for before in 0..9 {
                for after in [0, 1, 2, 5] {
                    let mut blob = random_bytes(before);
                    blob.extend_from_slice(CANARY.as_bytes());
                    blob.extend(random_bytes(after));
                    let text = engine.encode(&blob);
                    let wanted = format!("base64 {alphabet} at offset {}", before % 3);
                    // Which alphabet matches depends on whether the core has a `+`/`/` or
                    // `-`/`_`; the offset always shows.
                    let found = encodings_found(text.as_bytes());
                    assert!(
                        found
                            .iter()
                            .any(|e| e.ends_with(&format!("offset {}", before % 3))),
                        "{wanted} not found in {text}: {found:?}"
                    );
                    assert!(!found.contains(&"raw".to_owned()), "{found:?}");
                }
            }
        }
    }

    #[test]
    fn offset_one_in_a_blob_is_found_as_that_encoding() {
        let mut blob = vec![0x9a];
        blob.extend_from_slice(CANARY.as_bytes());
        blob.extend_from_slice(b"\x01\x02");
        let text = STANDARD_NO_PAD.encode(&blob);
        let findings = corpus_of(format!(r#"{{"ciphertext":"{text}"}}"#).as_bytes()).find(CANARY);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].encoding, "base64 standard at offset 1");
        assert_eq!(findings[0].location, "here");
    }

    #[test]
    fn the_base64_cores_differ_by_alphabet_where_the_alphabets_differ() {
        // Text whose base64 holds `+` and `/` (standard) or `-` and `_` (URL-safe) at every
        // offset.
        let needle = "~~~???~~~>>>~~~";
        let mut blob = b"ab".to_vec();
        blob.extend_from_slice(needle.as_bytes());
        blob.push(b'z');
        for (name, engine) in [("standard", STANDARD_NO_PAD), ("url-safe", URL_SAFE_NO_PAD)] {
            let text = engine.encode(&blob);
            let found: Vec<String> = corpus_of(text.as_bytes())
                .find(needle)
                .into_iter()
                .map(|f| f.encoding)
                .collect();
            assert_eq!(found, [format!("base64 {name} at offset 2")], "{text}");
        }
    }

    #[test]
    fn raw_hex_and_json_escapes_are_found_inside_other_bytes() {
        let mut binary = random_bytes(7);
        binary.extend_from_slice(CANARY.as_bytes());
        binary.extend(random_bytes(3));
        assert!(encodings_found(&binary).contains(&"raw".to_owned()));

        let hex: String = CANARY.bytes().map(|b| format!("{b:02x}")).collect();
        let wrapped = format!("00ff{hex}a1");
        assert_eq!(encodings_found(wrapped.as_bytes()), ["hex lower"]);
        assert_eq!(
            encodings_found(wrapped.to_uppercase().as_bytes()),
            ["hex upper"]
        );

        let escaped: String = CANARY
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let json = format!(r#"{{"body":"{escaped}"}}"#);
        assert_eq!(encodings_found(json.as_bytes()), ["JSON \\u escapes"]);
        // And the escapes decode to the canary: the pattern is JSON's.
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["body"], CANARY);
        assert_eq!(
            encodings_found(json.to_uppercase().replace("\\U", "\\u").as_bytes()),
            ["JSON \\u escapes, upper hex"]
        );
    }

    #[test]
    fn beyond_the_basic_plane_json_escapes_are_surrogate_pairs() {
        let escaped = json_escaped("a😀");
        assert_eq!(escaped, "\\u0061\\ud83d\\ude00");
        assert_eq!(upper_escapes(&escaped), "\\u0061\\uD83D\\uDE00");
        let parsed: String = serde_json::from_str(&format!("\"{escaped}\"")).unwrap();
        assert_eq!(parsed, "a😀");
    }

    #[test]
    fn other_data_and_a_near_miss_are_not_found() {
        let near = CANARY.replace('3', "4");
        let mut bytes = near.as_bytes().to_vec();
        bytes.extend(STANDARD_NO_PAD.encode(&near).into_bytes());
        bytes.extend(random_bytes(4096));
        assert_eq!(encodings_found(&bytes), Vec::<String>::new());
        assert_eq!(corpus_of(b"").find(CANARY), vec![]);
    }

    #[test]
    fn encodings_are_distinct_and_long_enough_to_mean_something() {
        let all = encodings(CANARY);
        // raw, 6 base64 (the alphabets agree for this ASCII text at some offsets), 2 hex, 2
        // escapes: duplicates removed.
        assert!(all.len() >= 8, "{all:?}");
        for encoded in &all {
            assert!(encoded.bytes.len() >= CANARY.len(), "{encoded:?}");
            assert_eq!(
                all.iter().filter(|e| e.bytes == encoded.bytes).count(),
                1,
                "{encoded:?}"
            );
        }
    }

    #[test]
    fn findings_name_where_and_how_and_the_log_and_posts_are_split_by_line_and_post() {
        let mut corpus = Corpus::default();
        corpus.add_log(format!("first\n[MessagesFunction] {CANARY}\n").as_bytes());
        let mut record = b"POST abc= 3\nhi!\n".to_vec();
        let body = format!(r#"{{"body":"{CANARY}"}}"#);
        record.extend(format!("POST def= {}\n{body}\n", body.len()).into_bytes());
        corpus.add_posts(&record).unwrap();
        assert_eq!(corpus.count(Source::Log), 2);
        assert_eq!(corpus.count(Source::Posts), 2);
        let found = corpus.find(CANARY);
        let places: Vec<(Source, &str)> = found
            .iter()
            .map(|f| (f.source, f.location.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (Source::Log, "log line 2"),
                (Source::Posts, "post 2 to connection def=")
            ]
        );
        assert!(found[1].context.contains("body"), "{found:?}");
        assert!(
            report(&found).contains("@connections posts: post 2"),
            "{found:?}"
        );
        assert!(corpus.add_posts(b"garbage\n").is_err());
    }
}
