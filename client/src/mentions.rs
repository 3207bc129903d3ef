//! Mentions in a group: the `@name`s of a text, resolved to the user ids of the group's
//! members (a name is a member's user id, or the start of exactly one member's id, at least
//! [`MIN_PREFIX`] characters long). Anything else after an `@` (an email address, a name
//! nobody has) mentions no one. A reply's quote preview is cut here too.

use parley_protocol::limits::{MAX_MENTIONS, MAX_PREVIEW_BYTES};

/// The shortest id start that names a member.
pub const MIN_PREFIX: usize = 4;
/// A quote's preview: the first characters of the quoted text.
pub const PREVIEW_CHARS: usize = 100;

/// The members `text` mentions, each once, in the order first named (at most the protocol's
/// 64), leaving out `me`.
pub fn mentions(text: &str, members: &[String], me: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        // An `@` inside a word (an email address) is not a mention.
        if text[..at].chars().next_back().is_some_and(is_name_char) {
            continue;
        }
        let name: String = text[at + 1..]
            .chars()
            .take_while(|c| is_name_char(*c))
            .collect();
        if name.len() < MIN_PREFIX {
            continue;
        }
        let exact = members.iter().find(|m| **m == name);
        let starting: Vec<&String> = members.iter().filter(|m| m.starts_with(&name)).collect();
        let member = exact.or(match starting.as_slice() {
            [one] => Some(*one),
            _ => None,
        });
        if let Some(member) = member.filter(|m| *m != me) {
            if !found.contains(member) && found.len() < MAX_MENTIONS {
                found.push(member.clone());
            }
        }
    }
    found
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The preview of a quoted text: its first [`PREVIEW_CHARS`] characters, within the
/// protocol's [`MAX_PREVIEW_BYTES`].
pub fn preview(text: &str) -> String {
    let mut preview = String::new();
    for c in text.chars().take(PREVIEW_CHARS) {
        if preview.len() + c.len_utf8() > MAX_PREVIEW_BYTES {
            break;
        }
        preview.push(c);
    }
    preview
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members() -> Vec<String> {
        [
            "4c8e5d7a-1111",
            "9b2f0c3e-2222",
            "9b2f7777-3333",
            "me-000000",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn a_whole_id_or_a_unique_start_names_a_member() {
        assert_eq!(
            mentions(
                "@4c8e hi @9b2f0c3e-2222, and @4c8e5d7a again",
                &members(),
                "me-000000"
            ),
            ["4c8e5d7a-1111", "9b2f0c3e-2222"]
        );
    }

    #[test]
    fn an_ambiguous_short_unknown_or_email_name_and_oneself_name_no_one() {
        for text in [
            "@9b2f what?",
            "@4c8 too short",
            "@nobody here",
            "mail bob@4c8e5d7a-1111",
            "@me-000000 myself",
        ] {
            assert!(mentions(text, &members(), "me-000000").is_empty(), "{text}");
        }
    }

    #[test]
    fn a_preview_is_cut_at_100_characters_and_256_bytes() {
        assert_eq!(preview("short"), "short");
        assert_eq!(preview(&"a".repeat(300)).len(), 100);
        let wide = preview(&"é".repeat(300));
        assert_eq!(wide.chars().count(), 100);
        let emoji = preview(&"😀".repeat(100));
        assert!(emoji.len() <= MAX_PREVIEW_BYTES);
        assert_eq!(emoji.chars().count(), 64);
    }
}
