//! `.devstack/stack.json`.
