//! `AWS::S3::Bucket` → CreateBucket, then the bucket's public-access block, default
//! encryption and lifecycle rules. Those extras change nothing a local client can observe
//! through the stack, so where moto refuses one the bucket is still good: logged at debug.
//! The CORS configuration is different: the AWS proxy answers browsers' cross-origin
//! requests from it (`aws_proxy::s3_cors`), so a refused PutBucketCors fails the bucket.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    CorsConfiguration, CorsRule, CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag,
};
use aws_sdk_s3::Client;

use super::props::{Failure, Props};
use crate::template::Physical;

/// Creates the bucket; `Ref` is its name, `Arn`/`DomainName` its attributes.
pub(super) async fn create_bucket(
    client: &Client,
    name: &str,
    region: &str,
    properties: &Props<'_>,
) -> Result<Physical, Failure> {
    let mut request = client.create_bucket().bucket(name);
    // us-east-1 is the one region that must not be named as a location constraint.
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(|e| format!("CreateBucket: {}", DisplayErrorContext(&e)))?;

    if let Some(block) = properties.object("PublicAccessBlockConfiguration")? {
        let configuration = PublicAccessBlockConfiguration::builder()
            .set_block_public_acls(block.bool("BlockPublicAcls")?)
            .set_block_public_policy(block.bool("BlockPublicPolicy")?)
            .set_ignore_public_acls(block.bool("IgnorePublicAcls")?)
            .set_restrict_public_buckets(block.bool("RestrictPublicBuckets")?)
            .build();
        let result = client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(configuration)
            .send()
            .await;
        log_refused_extra(name, "PutPublicAccessBlock", result.err());
    }
    if let Some(encryption) = properties.object("BucketEncryption")? {
        let configuration = encryption_configuration(&encryption)?;
        let result = client
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(configuration)
            .send()
            .await;
        log_refused_extra(name, "PutBucketEncryption", result.err());
    }
    if let Some(cors) = properties.object("CorsConfiguration")? {
        client
            .put_bucket_cors()
            .bucket(name)
            .cors_configuration(cors_configuration(&cors)?)
            .send()
            .await
            .map_err(|e| format!("PutBucketCors: {}", DisplayErrorContext(&e)))?;
    }
    if let Some(lifecycle) = properties.object("LifecycleConfiguration")? {
        let configuration = lifecycle_configuration(&lifecycle)?;
        let result = client
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(configuration)
            .send()
            .await;
        log_refused_extra(name, "PutBucketLifecycleConfiguration", result.err());
    }

    Ok(Physical::new(name)
        .with("Arn", format!("arn:aws:s3:::{name}"))
        .with("DomainName", format!("{name}.s3.amazonaws.com"))
        .with(
            "RegionalDomainName",
            format!("{name}.s3.{region}.amazonaws.com"),
        ))
}

fn log_refused_extra(bucket: &str, operation: &str, error: Option<impl std::error::Error>) {
    if let Some(error) = error {
        tracing::debug!(bucket, operation, error = %DisplayErrorContext(&error), "moto refused a bucket setting; ignored");
    }
}

fn encryption_configuration(
    encryption: &Props<'_>,
) -> Result<ServerSideEncryptionConfiguration, Failure> {
    let mut rules = Vec::new();
    for rule in encryption.list("ServerSideEncryptionConfiguration")? {
        let mut builder = ServerSideEncryptionRule::builder()
            .set_bucket_key_enabled(rule.bool("BucketKeyEnabled")?);
        if let Some(default) = rule.object("ServerSideEncryptionByDefault")? {
            builder = builder.apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(
                        default.required_str("SSEAlgorithm")?,
                    ))
                    .set_kms_master_key_id(default.str("KMSMasterKeyID")?.map(str::to_owned))
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        rules.push(builder.build());
    }
    ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| e.to_string())
}

/// `CorsConfiguration.CorsRules[]` as CloudFormation spells them (`AllowedOrigins`,
/// `ExposedHeaders`, `MaxAge`) → S3's rules.
fn cors_configuration(cors: &Props<'_>) -> Result<CorsConfiguration, Failure> {
    let mut rules = Vec::new();
    for rule in cors.list("CorsRules")? {
        rules.push(
            CorsRule::builder()
                .set_id(rule.str("Id")?.map(str::to_owned))
                .set_allowed_origins(Some(rule.strings("AllowedOrigins")?))
                .set_allowed_methods(Some(rule.strings("AllowedMethods")?))
                .set_allowed_headers(Some(rule.strings("AllowedHeaders")?))
                .set_expose_headers(Some(rule.strings("ExposedHeaders")?))
                .set_max_age_seconds(rule.int32("MaxAge")?)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    CorsConfiguration::builder()
        .set_cors_rules(Some(rules))
        .build()
        .map_err(|e| e.to_string())
}

/// A rule's filter: its one tag (`TagFilters`, as the disappearing-messages rules have),
/// or its prefix.
fn rule_filter(rule: &Props<'_>) -> Result<LifecycleRuleFilter, Failure> {
    let tags = rule.list("TagFilters")?;
    Ok(match tags.as_slice() {
        [] => LifecycleRuleFilter::builder()
            .prefix(rule.str("Prefix")?.unwrap_or_default())
            .build(),
        [tag] => LifecycleRuleFilter::builder()
            .tag(
                Tag::builder()
                    .key(tag.required_str("Key")?)
                    .value(tag.required_str("Value")?)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .build(),
        _ => return Err("a lifecycle rule with more than one tag filter is not supported".into()),
    })
}

fn lifecycle_configuration(lifecycle: &Props<'_>) -> Result<BucketLifecycleConfiguration, Failure> {
    let mut rules = Vec::new();
    for rule in lifecycle.list("Rules")? {
        let mut builder = LifecycleRule::builder()
            .set_id(rule.str("Id")?.map(str::to_owned))
            .status(ExpirationStatus::from(rule.required_str("Status")?))
            .filter(rule_filter(&rule)?);
        if let Some(days) = rule.int32("ExpirationInDays")? {
            builder = builder.expiration(LifecycleExpiration::builder().days(days).build());
        }
        if let Some(days) = rule.int32("NoncurrentVersionExpirationInDays")? {
            builder = builder.noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days)
                    .build(),
            );
        }
        if let Some(abort) = rule.object("AbortIncompleteMultipartUpload")? {
            builder = builder.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .set_days_after_initiation(abort.int32("DaysAfterInitiation")?)
                    .build(),
            );
        }
        rules.push(builder.build().map_err(|e| e.to_string())?);
    }
    BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| e.to_string())
}
