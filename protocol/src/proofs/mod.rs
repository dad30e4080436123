//! Zero-knowledge proofs (spec §5). All are sigma protocols made non-interactive with Merlin
//! transcripts that bind the statement before the commitments, plus Bulletproofs range proofs.
pub mod disjunctive;
pub mod dleq;
pub mod equality;
pub mod range;
pub mod schnorr;
