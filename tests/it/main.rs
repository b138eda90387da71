//! The end-to-end tests, one binary: each module drives the real
//! `courtstat` binary in temporary folders; `common` holds what they share.

mod cli;
mod common;
mod crash;
mod definitions;
mod exports;
mod faults;
mod hostile;
mod incremental;
mod lists;
mod parquet;
mod privacy;
mod report;
mod workbook;
