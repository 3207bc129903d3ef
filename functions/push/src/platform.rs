//! The push platforms a client may register for, and what SNS calls them.

/// A push service: Firebase Cloud Messaging, or Apple's (production or sandbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Fcm,
    Apns,
    ApnsSandbox,
}

impl Platform {
    /// The protocol's name for it (`registerPush.platform`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fcm" => Some(Self::Fcm),
            "apns" => Some(Self::Apns),
            "apns_sandbox" => Some(Self::ApnsSandbox),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fcm => "fcm",
            Self::Apns => "apns",
            Self::ApnsSandbox => "apns_sandbox",
        }
    }

    /// The key of this platform's payload in an SNS `MessageStructure: json` message.
    pub fn sns_key(self) -> &'static str {
        match self {
            Self::Fcm => "GCM",
            Self::Apns => "APNS",
            Self::ApnsSandbox => "APNS_SANDBOX",
        }
    }

    pub fn is_apple(self) -> bool {
        matches!(self, Self::Apns | Self::ApnsSandbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for platform in [Platform::Fcm, Platform::Apns, Platform::ApnsSandbox] {
            assert_eq!(Platform::parse(platform.as_str()), Some(platform));
        }
        assert_eq!(Platform::parse("gcm"), None);
        assert_eq!(Platform::parse("APNS"), None);
    }
}
