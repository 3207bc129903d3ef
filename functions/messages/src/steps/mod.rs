//! The steps a message takes from a client's frame to the devices, in the order an action
//! runs them, one job each:
//!
//! 1. [`check`]: read what the store holds and ask the domain's rules whether the message may
//!    be written, and for whom (a refusal stores nothing);
//! 2. [`devices`]: find the members' live devices (a few BatchGetItem requests); for a
//!    reaction, [`wake`]: whether its author is to be pushed;
//! 3. [`commit`]: store it: counter, send record, and the direct chat's copies or the group's
//!    log, then a group's copies; a member without a live device has a copy marked for push;
//!    a delete for everyone, [`scrub`]: remove the deleted text from a group's copies and
//!    the attachment from the bucket;
//! 4. [`post`]: post it to the members' devices;
//! 5. [`mark`]: mark for push the copies of members whose every device turned out gone.
//!
//! Whether a member is online is decided once, by step 2, and corrected by what step 4
//! found; the store stores what it is told.

pub mod check;
pub mod commit;
pub mod devices;
pub mod mark;
pub mod post;
pub mod scrub;
pub mod wake;
