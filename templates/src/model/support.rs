//! What a template needs that Cairn lacks (an action, a form field, a schema keyword), found when
//! the template is loaded rather than at its last step.

use super::{ModelError, Template};

/// Everything in the template Cairn cannot run, each naming its field; empty when it can run.
/// `actions` are the ids the server's action registry offers.
pub fn check(template: &Template, actions: &[&str]) -> Vec<ModelError> {
    template
        .steps
        .iter()
        .enumerate()
        .filter(|(_, step)| !actions.contains(&step.action.as_str()))
        .map(|(i, step)| {
            ModelError::at(
                format!("spec.steps.{i}.action"),
                format!("the action `{}` is not available in Cairn", step.action),
            )
        })
        .collect()
}
