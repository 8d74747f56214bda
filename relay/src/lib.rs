//! streamlab-relay: the WebSocket ↔ TCP bridge (see `docs/design.md`, "Relay contract").
//!
//! Not built yet: this crate holds the workspace place for it.
