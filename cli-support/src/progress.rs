//! Progress bars for the tools' long steps (reading, verifying, aggregating a record).
use indicatif::{ProgressBar, ProgressStyle};

/// A bar on standard error for a step over `total` items; hidden when stderr is not a terminal.
pub struct Bars {
    bar: Option<(String, ProgressBar)>,
}

impl Bars {
    /// No bar yet.
    pub fn new() -> Self {
        Bars { bar: None }
    }

    /// Shows `done` of `total` for `stage`, starting a new bar when the stage changes.
    pub fn tick(&mut self, stage: &str, done: u64, total: u64) {
        if self.bar.as_ref().is_none_or(|(s, _)| s != stage) {
            self.finish();
            let bar = ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg:>22} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_message(stage.to_owned());
            self.bar = Some((stage.to_owned(), bar));
        }
        if let Some((_, bar)) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// Ends the current bar.
    pub fn finish(&mut self) {
        if let Some((_, bar)) = self.bar.take() {
            bar.finish();
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}
