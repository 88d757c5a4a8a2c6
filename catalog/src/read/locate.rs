//! Finds the line of a field (`spec.owner`, `metadata.tags.2`) in a document's text, for error
//! messages. Only called when there is an error to report, so it simply parses again.

use granit_parser::{Event, Parser};

enum Frame {
    Map { key: Option<String>, expecting_key: bool },
    Seq { index: usize },
}

/// 1-based line of `path` within `text`, or of the deepest part of it that exists.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let target: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let mut stack: Vec<Frame> = Vec::new();
    let mut best: Option<(usize, usize)> = None; // (matched depth, line)
    for next in Parser::new_from_str(text) {
        let Ok((event, span)) = next else { break };
        let line = span.start.line();
        let is_node = matches!(
            event,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(..)
        );
        // A scalar in key position names the next child of the mapping.
        if let (
            Event::Scalar(text, ..),
            Some(Frame::Map {
                key,
                expecting_key: expecting @ true,
            }),
        ) = (&event, stack.last_mut())
        {
            *key = Some(text.to_string());
            *expecting = false;
            let depth = current_path(&stack);
            if let Some(d) = matched(&depth, &target) {
                if best.is_none_or(|(bd, _)| d > bd) {
                    best = Some((d, line));
                }
                if d == target.len() {
                    return Some(line);
                }
            }
            continue;
        }
        if is_node {
            if let Some(Frame::Seq { index }) = stack.last() {
                let mut depth = current_path(&stack);
                depth.push(index.to_string());
                if let Some(d) = matched(&depth, &target) {
                    if best.is_none_or(|(bd, _)| d > bd) {
                        best = Some((d, line));
                    }
                    if d == target.len() {
                        return Some(line);
                    }
                }
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                key: None,
                expecting_key: true,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                finish_child(&mut stack);
            }
            Event::Scalar(..) | Event::Alias(..) => finish_child(&mut stack),
            _ => {}
        }
    }
    best.map(|(_, line)| line)
}

/// After a value: a mapping expects its next key, a sequence moves to its next index.
fn finish_child(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { expecting_key, .. }) => *expecting_key = true,
        Some(Frame::Seq { index }) => *index += 1,
        None => {}
    }
}

fn current_path(stack: &[Frame]) -> Vec<String> {
    let mut path = Vec::new();
    for (i, frame) in stack.iter().enumerate() {
        match frame {
            Frame::Map { key: Some(k), .. } => path.push(k.clone()),
            Frame::Seq { index } if i + 1 < stack.len() => path.push(index.to_string()),
            _ => {}
        }
    }
    path
}

/// How many leading parts of `target` `path` matches, if `path` is a prefix of it.
fn matched(path: &[String], target: &[&str]) -> Option<usize> {
    (path.len() <= target.len() && path.iter().zip(target).all(|(a, b)| a == b)).then_some(path.len())
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const DOC: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  tags:\n    - ok\n    - Bad_Tag\nspec:\n  type: service\n  owner: a\n";

    #[test]
    fn finds_nested_fields_and_list_items() {
        assert_eq!(line_of(DOC, "metadata.name"), Some(4));
        assert_eq!(line_of(DOC, "metadata.tags.1"), Some(7));
        assert_eq!(line_of(DOC, "spec.owner"), Some(10));
    }

    #[test]
    fn a_missing_field_points_at_its_parent() {
        assert_eq!(line_of(DOC, "spec.lifecycle"), Some(8));
        assert_eq!(line_of(DOC, "kind"), Some(2));
    }
}
