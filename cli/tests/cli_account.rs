//! The built `parley` binary against the local stack: signup → the code from the outbox URL
//! it prints → confirm (a wrong code first) → login → whoami --json → logout, checking exit
//! codes, the JSON lines and the local database's permissions, that login registers the
//! device's encryption keys, and that logout revokes the session's refresh token; and exit 3
//! for a stack nobody serves.

mod common;

use common::{home, json_line, parley, refusal, stack_file};
use parley_client::account::{Account, ErrorKind};
use parley_client::stack::StackInfo;
use parley_tests::stack;
use serde_json::Value;

#[tokio::test]
async fn signup_confirm_login_whoami_logout() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let home = home("flow");
    let email = format!("cli-{}@example.test", uuid::Uuid::new_v4().simple());

    let signup = parley(&stack_json, &home, &["signup", &email]).await;
    assert_eq!(signup.status.code(), Some(0), "{signup:?}");
    let signed_up = json_line(&signup.stdout);
    assert_eq!(signed_up["username"], email.as_str());
    assert_eq!(signed_up["delivery"]["medium"], "EMAIL");
    let user_id = signed_up["userId"].as_str().expect("userId").to_owned();

    // The outbox URL it printed lists the code.
    let outbox = signed_up["outbox"].as_str().expect("a local outbox URL");
    let listed: Value = reqwest::get(outbox).await.unwrap().json().await.unwrap();
    let code = listed["messages"][0]["code"]
        .as_str()
        .expect("the code")
        .to_owned();

    let again = parley(&stack_json, &home, &["signup", &email]).await;
    refusal(&again); // the user exists

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = parley(&stack_json, &home, &["confirm", &email, wrong]).await;
    let error = refusal(&refused);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("confirmation code"),
        "{error}"
    );

    let confirmed = parley(&stack_json, &home, &["confirm", &email, &code]).await;
    assert_eq!(confirmed.status.code(), Some(0), "{confirmed:?}");
    assert_eq!(json_line(&confirmed.stdout)["confirmed"], true);

    let nobody = parley(&stack_json, &home, &["whoami"]).await;
    assert_eq!(nobody.status.code(), Some(1), "not logged in: {nobody:?}");

    let bad_password = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["--json", "--stack"])
        .arg(&stack_json)
        .args(["login", &email, "--password", "Wrong-Horse-9"])
        .env("PARLEY_HOME", &home)
        .output()
        .await
        .unwrap();
    refusal(&bad_password);

    // `--auth auto` signs in with the password on the local stack, whose SRP accepts any
    // proof (so the wrong password above was refused for real); SRP itself completes too.
    let srp = parley(&stack_json, &home, &["login", &email, "--auth", "srp"]).await;
    assert_eq!(srp.status.code(), Some(0), "{srp:?}");
    assert_eq!(json_line(&srp.stdout)["userId"], user_id.as_str());
    let login = parley(&stack_json, &home, &["login", &email]).await;
    assert_eq!(login.status.code(), Some(0), "{login:?}");
    assert_eq!(json_line(&login.stdout)["userId"], user_id.as_str());
    // Login registered this device's encryption keys (a user with none is written to in the
    // clear): the devices table holds a device of the user's.
    assert_eq!(json_line(&login.stdout)["deviceKeys"], true, "{login:?}");
    let items = parley_tests::tables::items_containing(stack, &user_id).await;
    assert!(items.iter().any(|item| item.contains("dev#")), "{items:?}");
    // The tokens live in the client library's database, readable by the user only.
    let session_file = home.join("parley.redb");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    let whoami = parley(&stack_json, &home, &["whoami"]).await;
    assert_eq!(whoami.status.code(), Some(0), "{whoami:?}");
    let me = json_line(&whoami.stdout);
    assert_eq!(me["userId"], user_id.as_str());
    assert_eq!(me["username"], email.as_str());
    assert_eq!(me["expired"], false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(me["expiresAt"].as_i64().unwrap() > now, "{me}");
    // No token in what it prints.
    let printed = String::from_utf8_lossy(&whoami.stdout);
    assert!(!printed.contains("eyJ"), "{printed}");

    // The session's refresh token works until logout, and not after it.
    let tokens = parley_client::Store::open(&session_file)
        .unwrap()
        .tokens()
        .unwrap()
        .expect("the session's tokens");
    let account = Account::new(&StackInfo::local(&stack_json).unwrap());
    account
        .refresh(&tokens)
        .await
        .expect("a live session refreshes");

    let logout = parley(&stack_json, &home, &["logout"]).await;
    assert_eq!(logout.status.code(), Some(0), "{logout:?}");
    let logged_out = json_line(&logout.stdout);
    assert_eq!(logged_out["loggedOut"], true);
    assert_eq!(logged_out["revoked"], true, "{logged_out}");
    assert!(!session_file.exists(), "logout forgets the local database");
    let refused = account
        .refresh(&tokens)
        .await
        .expect_err("a revoked refresh token is refused");
    assert_eq!(refused.kind(), ErrorKind::Refused, "{refused}");
    assert!(refused.to_string().contains("revoked"), "{refused}");
    let gone = parley(&stack_json, &home, &["whoami"]).await;
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
}

#[tokio::test]
async fn a_stack_nobody_serves_exits_3_and_bad_usage_exits_1() {
    let home = home("unreachable");
    std::fs::create_dir_all(&home).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = home.join("stack.json");
    std::fs::write(
        &dead,
        format!(
            r#"{{"websocketUrl": "ws://127.0.0.1:{port}/prod", "awsEndpoint": "http://127.0.0.1:{port}",
                "region": "us-east-1", "userPoolId": "us-east-1_x", "userPoolClientId": "c"}}"#
        ),
    )
    .unwrap();
    let login = parley(&dead, &home, &["login", "ann@example.test"]).await;
    assert_eq!(login.status.code(), Some(3), "{login:?}");
    assert_eq!(json_line(&login.stderr)["kind"], "unreachable");

    let usage = parley(&dead, &home, &["no-such-command"]).await;
    assert_eq!(usage.status.code(), Some(1), "{usage:?}");
    let missing = parley(
        &home.join("absent.json"),
        &home,
        &["confirm", "a@x.io", "1"],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
}
