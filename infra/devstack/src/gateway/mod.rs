//! The API Gateway WebSocket emulator.
