//! The encrypted tally recomputed from the record (spec §12.1, §12.6), in two
//! streaming passes so that memory stays bounded whatever the number of ballots, the second in
//! parallel across cores.
//!
//! Pass 1 reads only each ballot's credential and board size (fixed offsets, no point
//! decompression) and keeps, per credential, the counted ballot: the largest
//! `(board_size, leaf index)` (§11.7, V12). Pass 2 reads the counted ballots' ciphertexts
//! ([`BallotContext::counted_view`]: decompression dominates, about 3.4 µs a point) and sums them
//! with the voters' weights, one accumulator per worker, merged at the end (§12.1).
//!
//! Ballots are taken as verified (V10): the record verifier checks every one in the same read;
//! this module only counts.
use std::collections::HashMap;

use protocol::ballot::BallotContext;
use protocol::credentials::CredentialList;
use protocol::manifest::Manifest;
use protocol::tally::{RecomputedTally, TallyAccumulator};
use rayon::prelude::*;

/// Entry tag of a cast ballot (spec §13.1).
const BALLOT_TAG: u8 = 6;
/// A leaf starts with `u64 time ‖ u8 tag`.
const LEAF_HEADER: usize = 9;

/// What went wrong while counting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A ballot leaf could not be read as a ballot of this election.
    #[error("leaf {index}: {source}")]
    Ballot {
        /// The leaf index.
        index: u64,
        /// Why.
        source: protocol::Error,
    },
    /// A counted ballot's credential is not on the list.
    #[error("leaf {0}: the ballot's credential is not on the credential list")]
    UnknownCredential(u64),
    /// The second pass did not see every counted ballot the first one chose.
    #[error("the record changed between the two passes: {0} counted ballots were not seen again")]
    Changed(usize),
}

/// Counted ballot per credential: `(board_size, leaf index)`, the largest wins (V12).
#[derive(Default)]
pub struct Selection {
    best: HashMap<[u8; 32], (u64, u64)>,
}

impl Selection {
    /// Pass 1 over one page of `(leaf index, leaf bytes)`.
    pub fn scan<'a>(&mut self, leaves: impl IntoIterator<Item = (u64, &'a [u8])>) {
        for (index, leaf) in leaves {
            let Some(ballot) = ballot_bytes(leaf) else {
                continue;
            };
            if ballot.len() < 72 {
                continue; // not a valid ballot: pass 2 reports it if it were counted
            }
            let credential: [u8; 32] = ballot[32..64].try_into().expect("32 bytes");
            let board_size = u64::from_le_bytes(ballot[64..72].try_into().expect("8 bytes"));
            let candidate = (board_size, index);
            let best = self.best.entry(credential).or_insert(candidate);
            if *best < candidate {
                *best = candidate;
            }
        }
    }

    /// Credentials with a counted ballot.
    pub fn len(&self) -> usize {
        self.best.len()
    }

    /// Whether no ballot was seen.
    pub fn is_empty(&self) -> bool {
        self.best.is_empty()
    }

    /// The counted leaf indexes, in order.
    pub fn counted(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.best.values().map(|&(_, i)| i).collect();
        v.sort_unstable();
        v
    }
}

fn ballot_bytes(leaf: &[u8]) -> Option<&[u8]> {
    (leaf.len() > LEAF_HEADER && leaf[8] == BALLOT_TAG).then(|| &leaf[LEAF_HEADER..])
}

/// Pass 2: sums the counted ballots, page by page, in parallel within each page.
pub struct Aggregator<'c> {
    manifest: &'c Manifest,
    ctx: &'c BallotContext,
    list: &'c CredentialList,
    counted: Vec<u64>,
    accumulator: TallyAccumulator,
    seen: usize,
}

impl<'c> Aggregator<'c> {
    /// An aggregator for the ballots `selection` chose.
    pub fn new(
        manifest: &'c Manifest,
        ctx: &'c BallotContext,
        list: &'c CredentialList,
        selection: &Selection,
    ) -> Self {
        Self::for_counted(manifest, ctx, list, selection.counted())
    }

    /// An aggregator for the ballots at leaf indexes `counted` (sorted): what a record verifier
    /// chose (V12), without a first pass of its own.
    pub fn for_counted(
        manifest: &'c Manifest,
        ctx: &'c BallotContext,
        list: &'c CredentialList,
        counted: Vec<u64>,
    ) -> Self {
        debug_assert!(counted.is_sorted());
        Aggregator {
            manifest,
            ctx,
            list,
            counted,
            accumulator: TallyAccumulator::new(manifest),
            seen: 0,
        }
    }

    /// Adds the counted ballots among one page of `(leaf index, leaf bytes)`, in index order.
    pub fn add_page<B: AsRef<[u8]> + Sync>(&mut self, page: &[(u64, B)]) -> Result<(), Error> {
        let wanted: Vec<&(u64, B)> = page
            .iter()
            .filter(|(i, _)| self.counted.binary_search(i).is_ok())
            .collect();
        let (manifest, ctx, list) = (self.manifest, self.ctx, self.list);
        let partial = wanted
            .par_chunks(256)
            .map(|chunk| {
                let mut acc = TallyAccumulator::new(manifest);
                for (index, leaf) in chunk {
                    let bytes = ballot_bytes(leaf.as_ref()).ok_or(Error::Ballot {
                        index: *index,
                        source: protocol::Error::Malformed {
                            what: "counted leaf",
                            reason: "not a ballot",
                        },
                    })?;
                    let view = ctx.counted_view(bytes).map_err(|source| Error::Ballot {
                        index: *index,
                        source,
                    })?;
                    let weight = list
                        .weight_of_bytes(&view.credential)
                        .ok_or(Error::UnknownCredential(*index))?;
                    acc.add_rows(view.contests.iter().map(Vec::as_slice), weight)
                        .map_err(|source| Error::Ballot {
                            index: *index,
                            source,
                        })?;
                }
                Ok(acc)
            })
            .try_reduce(
                || TallyAccumulator::new(manifest),
                |mut a, b| {
                    a.merge(b);
                    Ok(a)
                },
            )?;
        self.accumulator.merge(partial);
        self.seen += wanted.len();
        Ok(())
    }

    /// Counted ballots added so far.
    pub fn added(&self) -> u64 {
        self.seen as u64
    }

    /// The recomputed tally, once every page was added.
    pub fn finish(self) -> Result<RecomputedTally, Error> {
        if self.seen != self.counted.len() {
            return Err(Error::Changed(self.counted.len() - self.seen));
        }
        Ok(self.accumulator.finish())
    }
}
