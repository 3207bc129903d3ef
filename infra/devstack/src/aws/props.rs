//! Reading resolved CloudFormation properties, with errors that say which property is wrong
//! (`KeySchema[0].KeyType: missing`), for the resource creators.

use serde_json::Value as Json;

/// A resolved property value and where it sits, e.g. `GlobalSecondaryIndexes[1]`.
#[derive(Debug, Clone)]
pub(super) struct Props<'a> {
    value: &'a Json,
    path: String,
}

/// What went wrong creating a resource; `provision` adds the resource's name.
pub(super) type Failure = String;

impl<'a> Props<'a> {
    pub(super) fn root(value: &'a Json) -> Self {
        Self {
            value,
            path: String::new(),
        }
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Json> {
        self.value.get(key)
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(super) fn str(&self, key: &str) -> Result<Option<&'a str>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "{}: expected a string, found {other}",
                self.at(key)
            )),
        }
    }

    pub(super) fn required_str(&self, key: &str) -> Result<&'a str, Failure> {
        self.str(key)?
            .ok_or_else(|| format!("{}: missing", self.at(key)))
    }

    /// Booleans may come as `true` or as `"true"` (parameters are strings).
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" => Ok(Some(true)),
            Some(Json::String(s)) if s == "false" => Ok(Some(false)),
            Some(other) => Err(format!(
                "{}: expected a boolean, found {other}",
                self.at(key)
            )),
        }
    }

    /// Whole numbers may come as `5` or `"5"`.
    pub(super) fn int(&self, key: &str) -> Result<Option<i64>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(Json::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
            Some(other) => Err(format!(
                "{}: expected a whole number, found {other}",
                self.at(key)
            )),
        }
    }

    pub(super) fn int32(&self, key: &str) -> Result<Option<i32>, Failure> {
        self.int(key)?
            .map(|n| i32::try_from(n).map_err(|_| format!("{}: {n} is too large", self.at(key))))
            .transpose()
    }

    pub(super) fn object(&self, key: &str) -> Result<Option<Props<'a>>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(value @ Json::Object(_)) => Ok(Some(Props {
                value,
                path: self.at(key),
            })),
            Some(other) => Err(format!(
                "{}: expected a mapping, found {other}",
                self.at(key)
            )),
        }
    }

    /// The items of a list of mappings (absent = empty).
    pub(super) fn list(&self, key: &str) -> Result<Vec<Props<'a>>, Failure> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, value)| match value {
                    Json::Object(_) => Ok(Props {
                        value,
                        path: format!("{}[{index}]", self.at(key)),
                    }),
                    other => Err(format!(
                        "{}: expected mappings, found {other}",
                        self.at(key)
                    )),
                })
                .collect(),
            Some(other) => Err(format!("{}: expected a list, found {other}", self.at(key))),
        }
    }

    /// A list of strings (absent = empty).
    pub(super) fn strings(&self, key: &str) -> Result<Vec<String>, Failure> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Json::String(s) => Ok(s.clone()),
                    other => Err(format!("{}: expected strings, found {other}", self.at(key))),
                })
                .collect(),
            Some(other) => Err(format!("{}: expected a list, found {other}", self.at(key))),
        }
    }
}
