//! Shared inputs for the family's criterion benches and callgrind drivers.
//!
//! Each benchmark lives in `benches/benches/`, each instruction-count driver in
//! `benches/src/bin/`; the scripts that run them are in `benches/scripts/`.
#![forbid(unsafe_code)]
