//! The docs name only what exists: every route, action, function and table a document names
//! is one the template (infra/template.yaml) or the protocol crate has, and the architecture
//! document's diagram and table list are complete. A rename in the code or the template fails
//! here until the docs follow.

use parley_devstack::template::Template;
use parley_protocol::ClientFrame;
use regex_lite::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn template() -> Template {
    Template::load(&workspace().join("infra/template.yaml")).expect("the template loads")
}

/// The template's resources of `kind`, named the way the docs name them: the logical id
/// without its `suffix`, lowercased (`MessagesTable` → `messages`).
fn names_of(template: &Template, kind: &str, suffix: &str) -> BTreeSet<String> {
    template
        .resources_of_kind(kind)
        .map(|r| {
            r.logical_id
                .strip_suffix(suffix)
                .unwrap_or_else(|| panic!("{} should end in {suffix}", r.logical_id))
                .to_lowercase()
        })
        .collect()
}

fn route_keys(template: &Template) -> BTreeSet<String> {
    template
        .resources_of_kind("AWS::ApiGatewayV2::Route")
        .map(|r| {
            r.property("RouteKey")
                .and_then(|key| key.as_str())
                .unwrap_or_else(|| panic!("{} has a literal RouteKey", r.logical_id))
                .to_owned()
        })
        .collect()
}

/// Every document a reader is pointed to: README.md and docs/*.md.
fn documents() -> Vec<(String, String)> {
    let mut paths = vec![workspace().join("README.md")];
    for entry in std::fs::read_dir(workspace().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            paths.push(path);
        }
    }
    paths.sort();
    assert!(paths.len() > 5, "the docs were not found: {paths:?}");
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.strip_prefix(workspace()).unwrap_or(&path);
            (name.display().to_string(), text)
        })
        .collect()
}

fn document(name: &str) -> String {
    std::fs::read_to_string(workspace().join(name)).unwrap()
}

/// The first cell of every row of every markdown table whose header's first cell is
/// `header`, backticks removed.
fn first_column(markdown: &str, header: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        let Some(row) = line.trim().strip_prefix('|') else {
            inside = false;
            continue;
        };
        let first = row.split('|').next().unwrap_or_default().trim();
        if first == header {
            inside = true;
        } else if inside && !first.starts_with("---") {
            cells.push(first.trim_matches('`').to_owned());
        }
    }
    cells
}

#[test]
fn the_template_routes_every_action_of_the_protocol_and_nothing_else() {
    let mut expected: BTreeSet<String> = ClientFrame::ACTIONS.map(String::from).into();
    expected.extend(["$connect", "$disconnect", "$default"].map(String::from));
    assert_eq!(route_keys(&template()), expected);
}

#[test]
fn the_protocol_doc_lists_exactly_the_actions() {
    let listed = first_column(&document("docs/protocol.md"), "action");
    assert_eq!(
        listed,
        ClientFrame::ACTIONS,
        "docs/protocol.md's table of actions"
    );
}

#[test]
fn the_architecture_diagram_routes_every_route_to_a_function_of_the_template() {
    let template = template();
    let routes = route_keys(&template);
    let functions = names_of(&template, "AWS::Serverless::Function", "Function");
    let doc = document("docs/architecture.md");
    let diagram = doc
        .split("```")
        .nth(1)
        .expect("docs/architecture.md opens with a diagram");
    // `send, sync, ack → messages`: routes, an arrow, the function that takes them.
    let routing = Regex::new(r"((?:\$?[A-Za-z]+,\s*)*\$?[A-Za-z]+)\s+→\s+([a-z]+)").unwrap();
    let mut drawn = BTreeSet::new();
    for found in routing.captures_iter(diagram) {
        let function = &found[2];
        assert!(
            functions.contains(function),
            "the diagram routes to `{function}`, which is not a function of the template ({functions:?})"
        );
        for route in found[1].split(',').map(str::trim) {
            assert!(
                routes.contains(route),
                "the diagram draws a route `{route}` the template does not have"
            );
            drawn.insert(route.to_owned());
        }
    }
    let missing: Vec<_> = routes.difference(&drawn).collect();
    assert!(
        missing.is_empty(),
        "the diagram omits the routes {missing:?}"
    );
}

#[test]
fn every_table_a_doc_names_is_a_table_of_the_template() {
    let tables = names_of(&template(), "AWS::DynamoDB::Table", "Table");
    assert!(tables.len() >= 5, "{tables:?}");
    // Words that may stand before "table" without naming one.
    let ordinary = [
        "the", "per", "each", "every", "or", "a", "one", "its", "s", "no", "that", "for", "of",
        "all",
    ];
    let named = Regex::new(r"`?\b([A-Za-z]+)`? tables?\b").unwrap();
    for (name, text) in documents() {
        for found in named.captures_iter(&text) {
            let word = &found[1];
            assert!(
                tables.contains(word)
                    || ordinary.contains(&word.to_lowercase().as_str())
                    || word == "DynamoDB",
                "{name} names a `{word}` table; the template's tables are {tables:?}"
            );
        }
        for listed in first_column(&text, "table") {
            assert!(
                tables.contains(&listed),
                "{name}'s table of tables lists `{listed}`; the template's are {tables:?}"
            );
        }
    }
    let listed: BTreeSet<String> = first_column(&document("docs/architecture.md"), "table")
        .into_iter()
        .collect();
    assert_eq!(listed, tables, "docs/architecture.md's table of tables");
}

#[test]
fn every_make_target_a_doc_names_exists() {
    let makefile = document("Makefile");
    let targets: BTreeSet<&str> = makefile
        .lines()
        .filter_map(|line| line.split_once(':').map(|(name, _)| name))
        .filter(|name| !name.contains(['\t', ' ', '$', '=']))
        .collect();
    // `invoke-%` is every `invoke-<something>`.
    let exists = |target: &str| {
        targets.iter().any(|t| match t.strip_suffix('%') {
            Some(prefix) => target.starts_with(prefix),
            None => *t == target,
        })
    };
    let named = Regex::new(r"`make ([a-z][a-z0-9-]*(?:<[a-z]+>)?)").unwrap();
    let mut checked = 0;
    for (name, text) in documents() {
        for found in named.captures_iter(&text) {
            assert!(
                exists(&found[1]),
                "{name} names `make {}`, which the Makefile does not have",
                &found[1]
            );
            checked += 1;
        }
    }
    assert!(
        checked > 5,
        "the docs name make targets: found only {checked}"
    );
}

#[test]
fn every_function_folder_a_doc_names_exists() {
    let named = Regex::new(r"functions/([a-z_]+)").unwrap();
    for (name, text) in documents() {
        for found in named.captures_iter(&text) {
            assert!(
                workspace().join("functions").join(&found[1]).is_dir(),
                "{name} names functions/{}, which does not exist",
                &found[1]
            );
        }
    }
}
