//! The create-service wizard's views: gallery cards, form fields and pickers, the review, the
//! file preview, and a task's steps and log.

pub mod card;
pub mod choices;
pub mod fields;
pub mod live;
pub mod log;
pub mod outcome;
pub mod pickers;
pub mod preview;
pub mod review;
pub mod state;
pub mod steps;
pub mod wizard;
