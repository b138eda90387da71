//! Progress on a terminal (files and bytes while reading, then stage names);
//! silent when stderr is not a terminal or with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal();
        Progress { bar: show.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())) }
    }

    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    pub fn start_reading(&self, files: usize, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_length(bytes);
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message(crate::messages::Msg::ProgressReading.text(&[&files]));
        }
    }

    pub fn file_done(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    pub fn stage(&self, name: crate::messages::Msg) {
        if let Some(b) = &self.bar {
            b.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
            b.set_message(name.text(&[]));
            b.tick();
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
