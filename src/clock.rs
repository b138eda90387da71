//! Wall time and memory per stage, for the manifest's `timings_ms` and
//! `memory_mb` (what `make bench` prints per stage).

use std::collections::BTreeMap;
use std::time::Instant;

pub struct Clock {
    started: Instant,
    pub timings: BTreeMap<&'static str, u64>,
    pub memory: BTreeMap<&'static str, u64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { started: Instant::now(), timings: BTreeMap::new(), memory: BTreeMap::new() }
    }
}

impl Clock {
    /// Runs one stage, noting its wall time and the resident memory after it.
    pub fn time<T>(&mut self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.timings.insert(stage, t.elapsed().as_millis() as u64);
        self.memory.insert(stage, crate::memory::mb().0);
        out
    }

    /// The whole run so far, and the peak memory.
    pub fn finish(&mut self) {
        self.timings.insert("total", self.started.elapsed().as_millis() as u64);
        self.memory.insert("peak", crate::memory::mb().1);
    }
}
