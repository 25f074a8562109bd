//! kechuang — 科创平台全周期管理平台.
//!
//! `router(state)` builds the whole web application so tests can drive it without a socket;
//! `main.rs` only parses the command line and serves it.

pub mod check_cli;
pub mod clock;
pub mod config;
pub mod database;
pub mod db;
pub mod demo;
pub mod domain;
pub mod embedded_pg;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod password_hash;
pub mod state;
pub mod support_cli;
pub mod telemetry;
pub mod web;

pub use state::AppState;
pub use web::router;
