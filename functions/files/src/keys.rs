//! Object keys: made by the server, never by a client. `c/<conversation>/<32 hex>/<name>`,
//! where the name is the client's file name reduced to `[A-Za-z0-9._-]` (so `../../x` is just
//! a name inside the key's own folder) and the random part makes every upload a new key.

use parley_core::Error;
use parley_protocol::ConversationId;

const PREFIX: &str = "c/";
/// The most of a file name kept in a key.
const MAX_NAME_CHARS: usize = 100;

/// A new key for a file called `name` in `conversation`.
pub fn new_key(conversation: &ConversationId, name: &str) -> String {
    format!(
        "{PREFIX}{conversation}/{}/{}",
        uuid::Uuid::new_v4().simple(),
        safe_name(name)
    )
}

/// `name` reduced to characters that are safe in a key and in a Content-Disposition header.
pub fn safe_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME_CHARS)
        .collect();
    // No leading dots: nothing that reads as `.` or `..` or a hidden file.
    let kept = kept.trim_start_matches('.');
    if kept.is_empty() {
        "file".to_owned()
    } else {
        kept.to_owned()
    }
}

/// The conversation a key this server made belongs to, and the key's file name; anything
/// else is refused.
pub fn parse_key(key: &str) -> Result<(ConversationId, &str), Error> {
    let invalid = || Error::bad_request("key is not a file key from uploadUrl");
    let rest = key.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let mut parts = rest.split('/');
    let (Some(conversation), Some(random), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    if name.is_empty() || safe_name(name) != name {
        return Err(invalid());
    }
    let conversation = ConversationId::parse(conversation).map_err(|_| invalid())?;
    Ok((conversation, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

    #[test]
    fn keys_sit_inside_their_conversation_whatever_the_name() {
        let group = ConversationId::parse(GROUP).unwrap();
        for name in [
            "../../x",
            "/etc/passwd",
            "..",
            "a/../../b",
            "photo.png",
            "",
            "ü ñ.txt",
        ] {
            let key = new_key(&group, name);
            assert!(key.starts_with(&format!("c/{GROUP}/")), "{key}");
            let (parsed, file) = parse_key(&key).unwrap();
            assert_eq!(parsed, group, "{name:?} → {key}");
            assert!(!file.contains('/') && !file.starts_with('.'), "{key}");
            assert_eq!(key.split('/').count(), 4, "{key}");
        }
        assert_eq!(safe_name("../../x"), "_.._x");
        assert_eq!(safe_name("photo.png"), "photo.png");
        assert_eq!(safe_name("..."), "file");
        assert_ne!(new_key(&group, "a"), new_key(&group, "a"));
    }

    #[test]
    fn foreign_keys_are_refused() {
        for bad in [
            "",
            "x",
            "c/",
            &format!("c/{GROUP}/abc/f.txt"),
            &format!("c/{GROUP}/0123456789abcdef0123456789abcdef/../f"),
            &format!("c/{GROUP}/0123456789abcdef0123456789abcdef/a/b"),
            "c/g:nothex/0123456789abcdef0123456789abcdef/f",
            &format!("d/{GROUP}/0123456789abcdef0123456789abcdef/f"),
        ] {
            assert!(parse_key(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
