//! The ciphertext scan of issue 15 with the Rust client library: two users, one of them with
//! two devices, exchange random canaries as text and as a file (its bytes and its name), and
//! one text reaches its recipient while he is offline (pushed, then read by sync). Every
//! recipient device must show the canary's text and download the file's bytes whole (so the
//! test cannot pass without delivery); then `parley_tests::canary` scans every table,
//! bucket, log line, SNS publish and `@connections` post body of the stack, raw and encoded,
//! and must find none.
//!
//! The negative control is the same exchange with the library's encryption switched off
//! (`Options { encryption: false }`, as the soak runs): the scan then finds the texts and the
//! file's name in the tables and in the post bodies and the file's bytes in the bucket,
//! proving it looks where they would be. The functions never log a body and push is
//! content-free, so a canary is in the log or in SNS in neither run; there the scan proves it
//! reads them by finding what IS there in both runs: the conversation id in the messages
//! function's log lines ("stored and posted") and the sender's user id and the message id in
//! the push published to the offline recipient.

use parley_client::store::{Encryption, Message};
use parley_client::{Options, To};
use parley_protocol::client::Platform;
use parley_tests::canary::{report, Corpus, Source};
use parley_tests::library::{Device, WAIT};
use parley_tests::sns::published_to;
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::await_connection_count;
use parley_tests::users::{sign_up, TestUser};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the push to the offline recipient, and the log lines and publishes the scan
/// must see, may take to land (the stream poller's batching window and a retry or two).
const SETTLE: Duration = Duration::from_secs(30);

fn canary() -> String {
    format!("canary-{}", uuid::Uuid::new_v4().simple())
}

/// What a run exchanged, for the scan.
struct Exchanged {
    alice: TestUser,
    /// Sent as message text.
    texts: Vec<String>,
    /// The text of a file sent, and its name.
    file_text: String,
    file_name: String,
    conversation: String,
    /// The message Bob got while offline: the push to him names it.
    pushed_message_id: String,
}

/// Asserts the device read `text`, decrypted when the run encrypts and in the clear when
/// it does not.
fn assert_read(message: &Message, text: &str, encrypted: bool) {
    assert_eq!(message.body.as_deref(), Some(text), "{message:?}");
    if encrypted {
        assert!(
            matches!(message.encryption, Some(Encryption::Decrypted { .. })),
            "it came encrypted: {message:?}"
        );
    } else {
        assert_eq!(message.encryption, None, "sent in the clear: {message:?}");
    }
}

/// Alice (two devices) and Bob exchange three canaries: Bob to Alice, Alice to Bob, and
/// Alice to Bob while he is offline with a push token (he reads it when he comes back).
async fn exchange(stack: &StackInfo, name: &str, options: Options) -> Exchanged {
    let encrypted = options.encryption;
    let alice = sign_up(stack, &format!("{name}-alice")).await;
    let bob = sign_up(stack, &format!("{name}-bob")).await;
    let dir = tempfile::tempdir().unwrap();
    let store = |device: &str| -> PathBuf { dir.path().join(format!("{device}.redb")) };
    let mut a1 = Device::start(stack, &store("a1"), &alice, options);
    let mut a2 = Device::start(stack, &store("a2"), &alice, options);
    let mut b = Device::start(stack, &store("b"), &bob, options);
    for device in [&mut a1, &mut a2, &mut b] {
        device.synced().await;
    }
    let token = format!("canary-push-{}", uuid::Uuid::new_v4().simple());
    b.client
        .register_push(Platform::Fcm, token.clone())
        .await
        .expect("register Bob's push token");

    // Bob to both of Alice's devices.
    let first = canary();
    let id = b
        .client
        .send_text(To::User(alice.user_id.clone()), first.clone())
        .await
        .unwrap();
    let on_a1 = a1.readable(&id).await;
    assert_read(&on_a1, &first, encrypted);
    assert_read(&a2.readable(&id).await, &first, encrypted);
    let conversation = on_a1.conversation.clone();

    // Alice to Bob, and to her other device.
    let second = canary();
    let id = a1
        .client
        .send_text(To::Conversation(conversation.clone()), second.clone())
        .await
        .unwrap();
    assert_read(&b.readable(&id).await, &second, encrypted);
    assert_read(&a2.readable(&id).await, &second, encrypted);

    // Bob sends a file: its bytes and its name are canaries of their own. Both of Alice's
    // devices read its name and download its bytes whole.
    let file_text = canary();
    let file_name = canary();
    let content = format!("{file_text}\n").repeat(3).into_bytes();
    let source = dir.path().join(format!("{file_name}.txt"));
    std::fs::write(&source, &content).unwrap();
    let to = To::Conversation(conversation.clone());
    let attachment = b
        .client
        .upload(&source, to.clone(), "text/plain", |_, _| {})
        .await
        .unwrap();
    let id = b
        .client
        .send_attachment(to, attachment.clone(), None)
        .await
        .unwrap();
    for (device, copy) in [(&mut a1, "a1.txt"), (&mut a2, "a2.txt")] {
        let got = device.readable(&id).await;
        assert_eq!(got.attachment.as_ref(), Some(&attachment), "{got:?}");
        assert_eq!(
            matches!(got.encryption, Some(Encryption::Decrypted { .. })),
            encrypted,
            "{got:?}"
        );
        let target = dir.path().join(copy);
        device
            .client
            .download(&attachment.key, &target, |_, _| {})
            .await
            .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), content);
    }

    // Bob goes offline; Alice's next canary is pushed to him, and he reads it by sync when
    // he comes back on the same store.
    b.stop().await;
    await_connection_count(stack, &bob.user_id, 0, WAIT).await;
    let third = canary();
    let id = a2
        .client
        .send_text(To::Conversation(conversation.clone()), third.clone())
        .await
        .unwrap();
    let on_a1 = a1.readable(&id).await;
    assert_read(&on_a1, &third, encrypted);
    let pushed_message_id = on_a1.message_id.clone();
    let started = Instant::now();
    while !published_to(stack, &token)
        .await
        .iter()
        .any(|p| p.to_string().contains(&pushed_message_id))
    {
        assert!(
            started.elapsed() < SETTLE,
            "no push for {pushed_message_id} within {SETTLE:?}\n{}",
            stack::tail(&stack.log_file)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut b = Device::start(stack, &store("b"), &bob, options);
    assert_read(&b.readable(&id).await, &third, encrypted);

    for device in [a1, a2, b] {
        device.stop().await;
    }
    Exchanged {
        alice,
        texts: vec![first, second, third],
        file_text,
        file_name,
        conversation: conversation.to_string(),
        pushed_message_id,
    }
}

/// The stack's data, read again until the log and SNS hold what the run must have left
/// there (the conversation id in a log line; the sender and message id in a push): lines
/// and publishes land asynchronously, a moment after the frames that showed delivery.
async fn settled_corpus(stack: &StackInfo, run: &Exchanged) -> Corpus {
    let started = Instant::now();
    loop {
        let corpus = Corpus::collect(stack, &stack.log_file, &stack.posts_file)
            .await
            .expect("the scan reads everything");
        let in_log = corpus.sources_of(&run.conversation).contains(&Source::Log);
        let sns = |needle: &str| corpus.sources_of(needle).contains(&Source::Sns);
        if in_log && sns(&run.alice.user_id) && sns(&run.pushed_message_id) {
            return corpus;
        }
        assert!(
            started.elapsed() < SETTLE,
            "after {SETTLE:?} the log has the conversation id: {in_log}; SNS has the sender: {}, the message id: {}",
            sns(&run.alice.user_id),
            sns(&run.pushed_message_id)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn encrypted_canaries_are_read_by_every_device_and_found_nowhere_on_the_server() {
    let stack = stack::shared();
    let run = exchange(stack, "canary-on", Options::default()).await;
    let corpus = settled_corpus(stack, &run).await;
    // The scan read every kind of place (the settled corpus already found the run's
    // conversation id in the log and its push in SNS).
    for source in Source::ALL {
        assert!(corpus.count(source) > 0, "nothing read from {source:?}");
    }
    // Where the messages are: the conversation's id in the tables and in the posts.
    let conversation = corpus.sources_of(&run.conversation);
    assert!(conversation.contains(&Source::Table), "{conversation:?}");
    assert!(conversation.contains(&Source::Posts), "{conversation:?}");

    let mut canaries = run.texts.clone();
    canaries.extend([run.file_text.clone(), run.file_name.clone()]);
    for canary in &canaries {
        let found = corpus.find(canary);
        assert!(
            found.is_empty(),
            "{canary} is on the server:\n{}",
            report(&found)
        );
    }
}

#[tokio::test]
async fn negative_control_with_encryption_off_the_scan_finds_the_canaries_in_tables_s3_and_posts() {
    let stack = stack::shared();
    let run = exchange(stack, "canary-off", Options { encryption: false }).await;
    let corpus = settled_corpus(stack, &run).await;
    // In the clear, every text and the file's name are stored (the conversation's log and
    // the mailbox copies, raw) and were posted to the devices that were online.
    let mut stored = run.texts.clone();
    stored.push(run.file_name.clone());
    for canary in &stored {
        let found = corpus.find(canary);
        assert!(
            found
                .iter()
                .any(|f| f.source == Source::Table && f.encoding == "raw"),
            "{canary} not found in a table:\n{}",
            report(&found)
        );
        assert!(
            found.iter().any(|f| f.source == Source::Posts),
            "{canary} not found in a post body:\n{}",
            report(&found)
        );
    }
    // The file's bytes are in the bucket as they were.
    let found = corpus.find(&run.file_text);
    assert!(
        found
            .iter()
            .any(|f| f.source == Source::Bucket && f.location.ends_with(", bytes")),
        "the file's text is not in the bucket:\n{}",
        report(&found)
    );
    // Never in the log or a push, even in the clear (the log and SNS are read: the settled
    // corpus found the conversation id and the push there).
    stored.push(run.file_text.clone());
    for canary in &stored {
        let sources = corpus.sources_of(canary);
        assert!(
            !sources.contains(&Source::Log) && !sources.contains(&Source::Sns),
            "{canary} leaked beyond storage and delivery:\n{}",
            report(&corpus.find(canary))
        );
    }
}
