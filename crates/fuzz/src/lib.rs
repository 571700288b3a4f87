//! Mutation fuzzing of convlab's parsers: every input a user or a peer can hand the app (an
//! IDX file, gzipped or not, a weights manifest and its `.bpk`, a message between the page and
//! its model worker) must give a value or an error, never a panic, an overflow or an
//! allocation it did not bound.
//!
//! - [`Mutator`]: havoc-style mutations of a seed (bit flips, extreme integers, inserted,
//!   deleted and repeated runs, splices of two seeds, numbers in text replaced by extreme ones).
//! - [`fuzz`]: runs one [`Target`] for a [`Budget`] of executions or seconds, catching panics;
//!   the [`Report`] counts executions and keeps the inputs that crashed it.
//! - [`targets`]: the targets and their seeds (built in code, or the shipped weights).
//!
//! The mutations are blind (no coverage feedback), seeded and so repeatable: a run with the
//! same seed and budget of executions tries the same inputs.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

pub mod targets;

/// Something to fuzz: a function that must not panic, whatever bytes it is given.
pub struct Target {
    pub name: &'static str,
    /// Valid (or nearly valid) inputs the mutations start from.
    pub seeds: Vec<Vec<u8>>,
    pub run: fn(&[u8]),
}

/// How long [`fuzz`] runs a target.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    Executions(u64),
    Time(Duration),
}

/// An input that made the target panic, and what the panic said.
#[derive(Clone, Debug)]
pub struct Crash {
    pub input: Vec<u8>,
    pub message: String,
}

/// What a run of [`fuzz`] did.
#[derive(Debug)]
pub struct Report {
    pub target: &'static str,
    pub executions: u64,
    /// The first [`MAX_CRASHES`] crashing inputs.
    pub crashes: Vec<Crash>,
    /// Every crashing execution, kept or not.
    pub crash_count: u64,
    pub took: Duration,
}

/// How many crashing inputs a [`Report`] keeps.
pub const MAX_CRASHES: usize = 10;

/// Runs `target` on its seeds, then on mutations of them until `budget` is spent.
pub fn fuzz(target: &Target, budget: Budget, seed: u64) -> Report {
    let start = Instant::now();
    let mut mutator = Mutator::new(seed);
    let mut report = Report {
        target: target.name,
        executions: 0,
        crashes: Vec::new(),
        crash_count: 0,
        took: Duration::ZERO,
    };
    let spent = |report: &Report| match budget {
        Budget::Executions(n) => report.executions >= n,
        Budget::Time(limit) => start.elapsed() >= limit,
    };
    let mut inputs = target.seeds.iter().cloned();
    while !spent(&report) {
        let input = inputs
            .next()
            .unwrap_or_else(|| mutator.mutate(&target.seeds));
        report.executions += 1;
        if let Err(message) = run_catching(target.run, &input) {
            report.crash_count += 1;
            if report.crashes.len() < MAX_CRASHES {
                report.crashes.push(Crash { input, message });
            }
        }
    }
    report.took = start.elapsed();
    report
}

thread_local! {
    /// Set while this thread runs a target: its panics are recorded here, not printed.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    static FUZZING: RefCell<bool> = const { RefCell::new(false) };
}

/// Runs `run(input)`, turning a panic into its message.
fn run_catching(run: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if FUZZING.with(|f| *f.borrow()) {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let text = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".into());
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{text}{place}")));
            } else {
                previous(info);
            }
        }));
    });
    FUZZING.with(|f| *f.borrow_mut() = true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| run(input)));
    FUZZING.with(|f| *f.borrow_mut() = false);
    outcome.map_err(|_| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| "a panic".into())
    })
}

/// Seeded havoc mutations (after AFL's): each input is one seed with 1–8 stacked edits.
#[derive(Debug)]
pub struct Mutator {
    state: u64,
}

/// Integers that break arithmetic: zero, one, the edges of the signed and unsigned widths.
const EXTREMES: [u32; 9] = [
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// Numbers a text field should refuse or bound.
const EXTREME_NUMBERS: [&str; 10] = [
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "-1",
    "-2147483648",
    "0",
    "1e309",
    "NaN",
    "-0",
    "99999999999999999999999999",
];

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// SplitMix64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// A mutation of one of `seeds` (of the empty input when there are none).
    pub fn mutate(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = seeds
            .get(self.below(seeds.len()))
            .cloned()
            .unwrap_or_default();
        for _ in 0..1 + self.below(8) {
            self.edit(&mut data, seeds);
        }
        data
    }

    fn edit(&mut self, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        let len = data.len();
        match self.below(10) {
            0 if len > 0 => {
                let at = self.below(len);
                data[at] ^= 1 << self.below(8);
            }
            1 if len > 0 => {
                let at = self.below(len);
                data[at] = self.next() as u8;
            }
            2 => {
                let value = EXTREMES[self.below(EXTREMES.len())];
                let bytes = if self.below(2) == 0 {
                    value.to_be_bytes()
                } else {
                    value.to_le_bytes()
                };
                let width = [1, 2, 4][self.below(3)];
                let at = self.below(len.saturating_sub(width - 1).max(1));
                for (i, b) in bytes[4 - width..].iter().enumerate() {
                    if let Some(slot) = data.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            3 => {
                let at = self.below(len + 1);
                let count = 1 + self.below(16);
                let bytes: Vec<u8> = (0..count).map(|_| self.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            4 if len > 0 => {
                let at = self.below(len);
                let end = (at + 1 + self.below(32)).min(len);
                data.drain(at..end);
            }
            5 if len > 0 => {
                // Repeat a run: long lists, deep nesting.
                let at = self.below(len);
                let end = (at + 1 + self.below(16)).min(len);
                let run = data[at..end].to_vec();
                for _ in 0..1 + self.below(8) {
                    data.splice(at..at, run.iter().copied());
                }
            }
            6 if len > 0 => data.truncate(self.below(len)),
            7 if !seeds.is_empty() => {
                // Splice: the start of this input, the end of another seed.
                let other = &seeds[self.below(seeds.len())];
                let cut = self.below(len + 1);
                let from = self.below(other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            _ => self.replace_number(data),
        }
    }

    /// Replaces one run of ASCII digits with an extreme number (or inserts one).
    fn replace_number(&mut self, data: &mut Vec<u8>) {
        let runs: Vec<(usize, usize)> = digit_runs(data);
        let number = EXTREME_NUMBERS[self.below(EXTREME_NUMBERS.len())].as_bytes();
        if runs.is_empty() {
            let at = self.below(data.len() + 1);
            data.splice(at..at, number.iter().copied());
        } else {
            let (start, end) = runs[self.below(runs.len())];
            data.splice(start..end, number.iter().copied());
        }
    }
}

/// The `(start, end)` of each run of ASCII digits in `data`.
fn digit_runs(data: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in data.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, data.len()));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let seeds = vec![b"{\"latent_dim\": 2}".to_vec(), vec![0, 0, 8, 3]];
        let (mut a, mut b) = (Mutator::new(7), Mutator::new(7));
        for _ in 0..200 {
            assert_eq!(a.mutate(&seeds), b.mutate(&seeds));
        }
        let mut c = Mutator::new(8);
        let differ = (0..50).any(|_| a.mutate(&seeds) != c.mutate(&seeds));
        assert!(differ);
    }

    #[test]
    fn a_panicking_target_is_reported_with_its_input_and_message() {
        fn picky(data: &[u8]) {
            assert!(data.first() != Some(&b'x'), "an input starting with x");
        }
        let target = Target {
            name: "picky",
            seeds: vec![b"xyz".to_vec(), b"abc".to_vec()],
            run: picky,
        };
        let report = fuzz(&target, Budget::Executions(500), 1);
        assert_eq!(report.executions, 500);
        assert!(report.crash_count >= 1);
        let first = &report.crashes[0];
        assert_eq!(first.input, b"xyz");
        assert!(
            first.message.contains("an input starting with x"),
            "{}",
            first.message
        );
        // Panics outside a target still reach the usual hook (this one would fail the test).
        assert!(panic::catch_unwind(|| ()).is_ok());
    }

    #[test]
    fn numbers_in_text_are_replaced_by_extreme_ones() {
        let mut m = Mutator::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100 {
            let mut text = b"cin=4&k=3".to_vec();
            m.replace_number(&mut text);
            seen.insert(String::from_utf8_lossy(&text).into_owned());
        }
        assert!(seen.contains("cin=4294967295&k=3") || seen.contains("cin=4&k=4294967295"));
        assert_eq!(digit_runs(b"a12b3"), vec![(1, 3), (4, 5)]);
    }
}
