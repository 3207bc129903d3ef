//! IAM's wildcard matching: `*` matches any run of characters (also none, also across `/`
//! and `:` inside one ARN segment), `?` exactly one. Actions compare case-insensitively;
//! resource ARNs case-sensitively, segment by segment (`arn:partition:service:region:
//! account:resource`), so a `*` in the region never swallows the account, as in IAM.

/// Whether `action` (e.g. `dynamodb:GetItem`) matches a policy's action pattern
/// (e.g. `DynamoDB:Get*`, `dynamodb:*`, `*`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// Whether a resource ARN matches a policy's resource pattern.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let patterns: Vec<&str> = pattern.splitn(6, ':').collect();
    let segments: Vec<&str> = arn.splitn(6, ':').collect();
    patterns.len() == segments.len()
        && patterns
            .iter()
            .zip(&segments)
            .all(|(pattern, segment)| glob(pattern, segment))
}

/// `*` and `?` wildcards over the whole of `text`, by characters. Greedy with one
/// backtracking point (the last `*`), which is enough: each later `*` only needs the
/// earliest match of what follows the previous one.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some('?') => {
                p += 1;
                t += 1;
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                // Let the last `*` take one more character and try again after it.
                Some((star, consumed)) => {
                    p = star + 1;
                    t = consumed + 1;
                    last_star = Some((star, consumed + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        assert!(action_matches("dynamodb:GetItem", "dynamodb:GetItem"));
        assert!(action_matches("DynamoDB:getitem", "dynamodb:GetItem"));
        assert!(action_matches("dynamodb:Get*", "dynamodb:GetItem"));
        assert!(action_matches("dynamodb:*", "dynamodb:Query"));
        assert!(action_matches("*", "sns:Publish"));
        assert!(action_matches("s3:?etObject", "s3:GetObject"));
        assert!(action_matches("s3:*Object*", "s3:PutObjectAcl"));
        assert!(!action_matches("dynamodb:Get*", "dynamodb:BatchGetItem"));
        assert!(!action_matches("dynamodb:GetItem", "dynamodb:GetItems"));
        assert!(!action_matches("s3:?etObject", "s3:etObject"));
        assert!(!action_matches("sns:*", "sqs:SendMessage"));
    }

    #[test]
    fn resources_match_case_sensitively_segment_by_segment() {
        let table = "arn:aws:dynamodb:us-east-1:000000000000:table/parley-local-Messages";
        assert!(resource_matches(table, table));
        assert!(resource_matches("*", table));
        assert!(resource_matches(
            "arn:aws:dynamodb:*:*:table/parley-local-*",
            table
        ));
        assert!(!resource_matches(
            "arn:aws:dynamodb:us-east-1:000000000000:table/parley-local-messages",
            table
        ));
        // `*` in the resource part spans `/` (index and stream ARNs)...
        assert!(resource_matches(
            "arn:aws:dynamodb:us-east-1:000000000000:table/T/*",
            "arn:aws:dynamodb:us-east-1:000000000000:table/T/index/byUser"
        ));
        // ...but the table ARN itself is not under `table/T/*`.
        assert!(!resource_matches(
            "arn:aws:dynamodb:us-east-1:000000000000:table/T/*",
            "arn:aws:dynamodb:us-east-1:000000000000:table/T"
        ));
        // A `*` in the region stays in the region: it cannot make up for a wrong account.
        assert!(!resource_matches(
            "arn:aws:sns:*1:000000000000:endpoint/*",
            "arn:aws:sns:us-east-1:111111111111:endpoint/GCM/app/x"
        ));
        // The resource part may hold colons of its own.
        assert!(resource_matches(
            "arn:aws:sns:us-east-1:000000000000:topic*",
            "arn:aws:sns:us-east-1:000000000000:topic:with:colons"
        ));
        assert!(resource_matches(
            "arn:aws:execute-api:us-east-1:000000000000:api/prod/POST/@connections/*",
            "arn:aws:execute-api:us-east-1:000000000000:api/prod/POST/@connections/abc="
        ));
        assert!(!resource_matches(
            "arn:aws:execute-api:us-east-1:000000000000:api/prod/POST/@connections/*",
            "arn:aws:execute-api:us-east-1:000000000000:api/prod/DELETE/@connections/abc="
        ));
        assert!(resource_matches(
            "arn:aws:s3:::b/c/*",
            "arn:aws:s3:::b/c/x/y.png"
        ));
        assert!(!resource_matches(
            "arn:aws:s3:::b/c/*",
            "arn:aws:s3:::b/d/x.png"
        ));
        assert!(!resource_matches("arn:aws:s3:::b/c/*", "arn:aws:s3:::b"));
    }

    #[test]
    fn stars_backtrack() {
        assert!(glob("a*b*c", "axxbyybzc"));
        assert!(glob("*ab", "aab"));
        assert!(glob("a**", "a"));
        assert!(!glob("a*b", "aab c"));
        assert!(!glob("", "x"));
        assert!(glob("", ""));
    }
}
