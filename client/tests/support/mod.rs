//! Shared by the encryption tests: the toy key directory and the devices it serves.

pub mod devices;
pub mod key_directory;
