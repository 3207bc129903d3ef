//! The push function's own settings, read once per cold start: its table and one SNS
//! platform application per platform. A platform without an application is off; with none
//! at all, push is off.

use parley_core::config::MissingVariable;

use crate::platform::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Devices, token owners and delivery markers (`PUSH_TABLE`).
    pub push_table: String,
    pub applications: Applications,
}

/// The platform application ARN of each platform, where one is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applications {
    pub fcm: Option<String>,
    pub apns: Option<String>,
    pub apns_sandbox: Option<String>,
}

impl Applications {
    pub fn arn(&self, platform: Platform) -> Option<&str> {
        match platform {
            Platform::Fcm => self.fcm.as_deref(),
            Platform::Apns => self.apns.as_deref(),
            Platform::ApnsSandbox => self.apns_sandbox.as_deref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fcm.is_none() && self.apns.is_none() && self.apns_sandbox.is_none()
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        // An empty ARN is how the template says "not configured".
        let optional = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        Ok(Self {
            push_table: optional("PUSH_TABLE").ok_or(MissingVariable("PUSH_TABLE"))?,
            applications: Applications {
                fcm: optional("FCM_PLATFORM_APPLICATION_ARN"),
                apns: optional("APNS_PLATFORM_APPLICATION_ARN"),
                apns_sandbox: optional("APNS_SANDBOX_PLATFORM_APPLICATION_ARN"),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arns_mean_off() {
        let settings = Settings::from_lookup(|name| match name {
            "PUSH_TABLE" => Some("push".into()),
            "FCM_PLATFORM_APPLICATION_ARN" => Some("arn:aws:sns:us-east-1:1:app/GCM/p".into()),
            _ => Some(String::new()),
        })
        .unwrap();
        assert_eq!(settings.push_table, "push");
        assert_eq!(
            settings.applications.arn(Platform::Fcm),
            Some("arn:aws:sns:us-east-1:1:app/GCM/p")
        );
        assert_eq!(settings.applications.arn(Platform::Apns), None);
        assert!(!settings.applications.is_empty());
        let off = Settings::from_lookup(|name| (name == "PUSH_TABLE").then(|| "t".into())).unwrap();
        assert!(off.applications.is_empty());
        assert!(Settings::from_lookup(|_| None).is_err());
    }
}
