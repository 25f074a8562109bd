//! The integration tests: one test binary (`cargo test --test it`), one module per area.
//!
//! One crate instead of one binary per file: the app, fantoccini and reqwest are linked once, not 37
//! times. Run one area with `cargo test --test it registry::`, one test with its name
//! (`cargo test --test it city_staff_change`). `common` is the harness (a database per test, cloned from a
//! migrated or a demo-city template; the fixture builder); `visible` reads a page as a reader sees it.

mod common;
mod visible;

mod annual_config;
mod api_v1;
mod audit_and_admin;
mod audit_chain;
mod auth;
mod authz_matrix;
mod check_command;
mod checklist;
mod cobuild;
mod compliance;
mod dashboards;
mod db_types;
mod demo_consistency;
mod documents;
mod dual_control;
mod e2e;
mod evaluation;
mod exports;
mod filing;
mod fuzz;
mod import;
mod ledger;
mod mail;
mod midyear;
mod notices;
mod operation;
mod policies;
mod policy_examples;
mod query_counts;
mod rectification;
mod registration;
mod registry;
mod reliability;
mod security_events;
mod static_assets;
mod todo;
mod write_path;
