"""Tests of publish_web.py's offline parts, on a saved `describe-stacks` answer
(testdata/describe-stacks-hosted.json, shaped as `aws cloudformation describe-stacks` prints
it for a stack deployed with WebHosting=true). Run by `make test` (make scripts-test)."""

import contextlib
import copy
import io
import json
import os
import tempfile
import unittest
import unittest.mock
from pathlib import Path

from publish_web import (
    IMMUTABLE,
    REVALIDATE,
    app_config,
    hosting,
    main,
    outputs_of,
    samconfig_deploy_parameters,
    upload_plan,
)

HERE = Path(__file__).parent
DESCRIBED = json.loads((HERE / "testdata/describe-stacks-hosted.json").read_text())


class StackOutputs(unittest.TestCase):
    def test_the_config_has_the_keys_the_app_reads_from_the_outputs(self):
        self.assertEqual(
            app_config(outputs_of(DESCRIBED)),
            {
                "websocketUrl": "wss://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod",
                "region": "eu-west-1",
                "userPoolId": "eu-west-1_AbCdEf123",
                "userPoolClientId": "4l1g2s3n4o5p6q7r8s9t0u1v2w",
                "bucket": "parley-files-5f0c9a40-7d1e-11f0-9c2b-0a1b2c3d4e5f",
            },
        )

    def test_the_config_matches_what_the_web_app_parses(self):
        # web/src/auth/stack.ts requires these and reads awsEndpoint as "local stack".
        stack_ts = (HERE / "../../web/src/auth/stack.ts").read_text()
        config = app_config(outputs_of(DESCRIBED))
        for required in ("websocketUrl", "region", "userPoolId", "userPoolClientId"):
            self.assertIn(f'field("{required}")', stack_ts)
            self.assertIn(required, config)
        self.assertNotIn("awsEndpoint", config)

    def test_a_missing_output_is_named(self):
        described = copy.deepcopy(DESCRIBED)
        described["Stacks"][0]["Outputs"] = [
            o for o in described["Stacks"][0]["Outputs"] if o["OutputKey"] != "UserPoolClientId"
        ]
        with self.assertRaisesRegex(ValueError, "UserPoolClientId"):
            app_config(outputs_of(described))

    def test_hosting_is_read_from_the_web_outputs_and_absent_without_them(self):
        outputs = outputs_of(DESCRIBED)
        self.assertEqual(
            hosting(outputs),
            ("parley-webbucket-1a2b3c4d5e6f", "E1A2B3C4D5E6F7", "https://d1a2b3c4d5e6f7.cloudfront.net/"),
        )
        unhosted = {k: v for k, v in outputs.items() if not k.startswith("Web")}
        self.assertIsNone(hosting(unhosted))
        with self.assertRaises(ValueError):
            hosting({**unhosted, "WebBucketName": "b"})


class Upload(unittest.TestCase):
    def test_hashed_assets_are_immutable_and_go_first_index_last(self):
        with tempfile.TemporaryDirectory() as tmp:
            dist = Path(tmp)
            (dist / "assets").mkdir()
            (dist / "index.html").write_text("<!doctype html>")
            (dist / "assets/index-DYWDir5L.css").write_text("body{}")
            (dist / "assets/index-Dhof6mal.js").write_text("export{}")
            (dist / "favicon.svg").write_text("<svg/>")
            plan = upload_plan(dist, {"region": "eu-west-1"})
        self.assertEqual(
            [(key, content_type, cache) for _, key, content_type, cache in plan],
            [
                ("assets/index-DYWDir5L.css", "text/css; charset=utf-8", IMMUTABLE),
                ("assets/index-Dhof6mal.js", "text/javascript; charset=utf-8", IMMUTABLE),
                ("config.json", "application/json", REVALIDATE),
                ("favicon.svg", "image/svg+xml", REVALIDATE),
                ("index.html", "text/html; charset=utf-8", REVALIDATE),
            ],
        )
        self.assertEqual(json.loads(plan[2][0]), {"region": "eu-west-1"})
        self.assertEqual(plan[-1][0], b"<!doctype html>")


class AgainstMoto(unittest.TestCase):
    """main() from the outputs to the bucket and the invalidation, with AWS played in-process
    by moto (the project venv's): a stack whose outputs are the hosted fixture's, pointing at
    a bucket and a distribution that exist."""

    def setUp(self):
        from moto import mock_aws

        self.mock = mock_aws()
        self.mock.start()
        self.addCleanup(self.mock.stop)
        self.env = unittest.mock.patch.dict(
            "os.environ",
            {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"},
        )
        self.env.start()
        self.addCleanup(self.env.stop)
        # A profile from the caller's shell would send boto3 looking for its credentials.
        os.environ.pop("AWS_PROFILE", None)

    def deploy_stack(self, hosted: bool) -> dict[str, str]:
        """The stack's outputs, as created in moto."""
        import boto3

        outputs = {o["OutputKey"]: o["OutputValue"] for o in DESCRIBED["Stacks"][0]["Outputs"]}
        if hosted:
            boto3.client("s3", region_name="eu-west-1").create_bucket(
                Bucket=outputs["WebBucketName"],
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
            distribution = boto3.client("cloudfront").create_distribution(
                DistributionConfig={
                    "CallerReference": "test",
                    "Origins": {"Quantity": 1, "Items": [{"Id": "app", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
                    "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "redirect-to-https"},
                    "Comment": "",
                    "Enabled": True,
                }
            )
            outputs["WebDistributionId"] = distribution["Distribution"]["Id"]
        else:
            outputs = {k: v for k, v in outputs.items() if not k.startswith("Web")}
        template = {
            "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {k: {"Value": v} for k, v in outputs.items()},
        }
        boto3.client("cloudformation", region_name="eu-west-1").create_stack(
            StackName="parley", TemplateBody=json.dumps(template)
        )
        return outputs

    def publish(self, dist: str, build: str) -> str:
        """main() on the stack; what it printed."""
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = main([dist, "--stack-name", "parley", "--region", "eu-west-1", "--build", build])
        self.assertEqual(status, 0)
        return printed.getvalue()

    def test_the_build_and_its_config_are_uploaded_and_the_unhashed_paths_invalidated(self):
        import boto3

        outputs = self.deploy_stack(hosted=True)
        with tempfile.TemporaryDirectory() as tmp:
            dist = Path(tmp)
            (dist / "assets").mkdir()
            (dist / "index.html").write_text("<!doctype html>")
            (dist / "assets/index-Dhof6mal.js").write_text("export{}")
            printed = self.publish(tmp, build="true")
        self.assertIn("https://d1a2b3c4d5e6f7.cloudfront.net/", printed)
        s3 = boto3.client("s3", region_name="eu-west-1")
        bucket = outputs["WebBucketName"]
        script = s3.get_object(Bucket=bucket, Key="assets/index-Dhof6mal.js")
        self.assertEqual((script["ContentType"], script["CacheControl"]), ("text/javascript; charset=utf-8", IMMUTABLE))
        config = s3.get_object(Bucket=bucket, Key="config.json")
        self.assertEqual(config["CacheControl"], REVALIDATE)
        self.assertEqual(json.loads(config["Body"].read())["userPoolId"], "eu-west-1_AbCdEf123")
        self.assertEqual(s3.get_object(Bucket=bucket, Key="index.html")["ContentType"], "text/html; charset=utf-8")
        invalidations = boto3.client("cloudfront").list_invalidations(DistributionId=outputs["WebDistributionId"])
        self.assertEqual(invalidations["InvalidationList"]["Quantity"], 1)

    def test_without_hosting_nothing_is_built_or_uploaded(self):
        self.deploy_stack(hosted=False)
        with tempfile.TemporaryDirectory() as tmp:
            # A build command that fails: reaching it would fail the test.
            printed = self.publish(tmp, build="false")
        self.assertIn("not hosted", printed)


class SamConfig(unittest.TestCase):
    def test_the_stack_name_and_region_sam_deploy_saved_are_read(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "samconfig.toml"
            path.write_text(
                'version = 0.1\n[default.global.parameters]\nstack_name = "parley"\n'
                '[default.deploy.parameters]\nregion = "eu-west-1"\nconfirm_changeset = true\n'
            )
            found = samconfig_deploy_parameters(path)
            self.assertEqual((found["stack_name"], found["region"]), ("parley", "eu-west-1"))
            self.assertEqual(samconfig_deploy_parameters(Path(tmp) / "none.toml"), {})


if __name__ == "__main__":
    unittest.main()
