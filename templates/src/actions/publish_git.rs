//! (in progress)

use std::sync::Arc;

use super::Action;

pub fn actions() -> Vec<Arc<dyn Action>> {
    Vec::new()
}
