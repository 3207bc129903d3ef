//! Where a Parley stack is: its WebSocket URL and its user pool.
