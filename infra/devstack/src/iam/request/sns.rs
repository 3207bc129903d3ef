//! SNS requests → IAM: `sns:<Action>` on the ARN the request names: the topic
//! (`TopicArn`), the publish target (`TargetArn`: a platform endpoint), the endpoint
//! (`EndpointArn`), the platform application (`PlatformApplicationArn`), a tagged resource
//! (`ResourceArn`), or the topic a subscription belongs to; `CreateTopic` names the topic it
//! creates; what names none (SMS to a phone number, listing) is `*`. Parameters come from
//! the query protocol's form body, or from a JSON body where the SDK speaks JSON.

use serde_json::Value as Json;

use super::{target, Access, Request, Scope};

pub fn access(request: &Request<'_>, scope: &Scope) -> Result<Access, String> {
    let parameters = parameters(request)?;
    let get = |name: &str| {
        parameters
            .iter()
            .find(|(given, _)| given == name)
            .map(|(_, value)| value.as_str())
    };
    let action = match target(request.headers) {
        Some((_, operation)) => operation.to_owned(),
        None => get("Action")
            .ok_or("an SNS request without Action")?
            .to_owned(),
    };
    let named = [
        "TopicArn",
        "TargetArn",
        "EndpointArn",
        "PlatformApplicationArn",
        "ResourceArn",
    ]
    .iter()
    .find_map(|name| get(name));
    let resource = match (named, action.as_str()) {
        (Some(arn), _) => arn.to_owned(),
        (None, "CreateTopic") => {
            let name = get("Name").ok_or("CreateTopic without Name")?;
            let Scope {
                partition,
                region,
                account,
                ..
            } = scope;
            format!("arn:{partition}:sns:{region}:{account}:{name}")
        }
        // A subscription's ARN is its topic's ARN and an id.
        (None, _) => match get("SubscriptionArn").and_then(|arn| arn.rsplit_once(':')) {
            Some((topic, _)) => topic.to_owned(),
            None => "*".to_owned(),
        },
    };
    Ok(Access::new(format!("sns:{action}"), resource))
}

fn parameters(request: &Request<'_>) -> Result<Vec<(String, String)>, String> {
    if target(request.headers).is_some() {
        let body: Json = serde_json::from_slice(request.body)
            .map_err(|e| format!("an SNS JSON body that does not parse: {e}"))?;
        return Ok(body
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
            .collect());
    }
    Ok(form_urlencoded::parse(request.body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::scope;
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, Method};

    fn query(body: &str) -> Access {
        let request = Request {
            method: &Method::POST,
            path: "/",
            query: None,
            headers: &HeaderMap::new(),
            body: body.as_bytes(),
        };
        access(&request, &scope()).unwrap()
    }

    #[test]
    fn the_named_arn_is_the_resource() {
        let endpoint = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/5d2c";
        assert_eq!(
            query(&format!(
                "Action=Publish&TargetArn={}&Message=x&Version=2010-03-31",
                endpoint.replace(':', "%3A").replace('/', "%2F")
            )),
            Access::new("sns:Publish", endpoint)
        );
        assert_eq!(
            query("Action=CreatePlatformEndpoint&PlatformApplicationArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aapp%2FGCM%2Fp&Token=t"),
            Access::new(
                "sns:CreatePlatformEndpoint",
                "arn:aws:sns:us-east-1:000000000000:app/GCM/p"
            )
        );
        assert_eq!(
            query("Action=CreateTopic&Name=alerts"),
            Access::new(
                "sns:CreateTopic",
                "arn:aws:sns:us-east-1:000000000000:alerts"
            )
        );
        assert_eq!(
            query("Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A0%3At%3Aabc"),
            Access::new("sns:Unsubscribe", "arn:aws:sns:us-east-1:0:t")
        );
        assert_eq!(
            query("Action=Publish&PhoneNumber=%2B15550100&Message=x"),
            Access::new("sns:Publish", "*")
        );
    }

    #[test]
    fn json_requests_name_the_action_in_the_target() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonSimpleNotificationService.DeleteEndpoint"),
        );
        let request = Request {
            method: &Method::POST,
            path: "/",
            query: None,
            headers: &headers,
            body: br#"{"EndpointArn": "arn:aws:sns:us-east-1:0:endpoint/APNS/a/b"}"#,
        };
        assert_eq!(
            access(&request, &scope()).unwrap(),
            Access::new(
                "sns:DeleteEndpoint",
                "arn:aws:sns:us-east-1:0:endpoint/APNS/a/b"
            )
        );
    }
}
