//! `publish:github`'s inputs about the repository itself, turned into the bodies GitHub wants:
//! `POST /orgs/{org}/repos` (or `/user/repos`), `PUT …/topics`, `PUT …/branches/{b}/protection`.

use serde_json::{Map, Value, json};

use super::super::ActionError;
use super::super::publish_git::flag;
use super::bounded_text;

/// Visibility as Backstage's `repoVisibility` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Visibility {
    Private,
    Internal,
    Public,
}

impl Visibility {
    pub fn from_input(input: &Map<String, Value>) -> Result<Visibility, ActionError> {
        match super::super::optional_str(input, "repoVisibility")?.unwrap_or("private") {
            "private" => Ok(Visibility::Private),
            "internal" => Ok(Visibility::Internal),
            "public" => Ok(Visibility::Public),
            other => Err(ActionError::input(
                "repoVisibility",
                format!("`{other}` is not one of private, internal, public"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }
}

/// The body that creates the repository (`visibility` is for organisations only).
pub(crate) fn repository_body(
    input: &Map<String, Value>,
    name: &str,
    visibility: Visibility,
    in_org: bool,
) -> Result<Value, ActionError> {
    let mut body = json!({
        "name": name,
        "private": visibility == Visibility::Private,
        "auto_init": false,
        "delete_branch_on_merge": flag(input, "deleteBranchOnMerge", false)?,
        "allow_merge_commit": flag(input, "allowMergeCommit", true)?,
        "allow_squash_merge": flag(input, "allowSquashMerge", true)?,
        "allow_rebase_merge": flag(input, "allowRebaseMerge", true)?,
        "allow_auto_merge": flag(input, "allowAutoMerge", false)?,
        "has_issues": flag(input, "hasIssues", true)?,
        "has_wiki": flag(input, "hasWiki", true)?,
        "has_projects": flag(input, "hasProjects", true)?,
    });
    if in_org {
        body["visibility"] = json!(visibility.name());
    }
    if let Some(description) = bounded_text(input, "description", 350)? {
        body["description"] = json!(description);
    }
    if let Some(homepage) = bounded_text(input, "homepage", 2048)? {
        body["homepage"] = json!(homepage);
    }
    Ok(body)
}

/// `topics`: GitHub's rules (lower-case letters, digits and `-`, at most 50 characters, at
/// most 20 topics), checked before anything is created.
pub(crate) fn topics(input: &Map<String, Value>) -> Result<Vec<String>, ActionError> {
    let list = match input.get("topics") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ActionError::input("topics", "must be a list of topics")),
    };
    if list.len() > 20 {
        return Err(ActionError::input("topics", "GitHub takes at most 20 topics"));
    }
    list.iter()
        .map(|topic| {
            let text = topic.as_str().unwrap_or_default();
            let ok = !text.is_empty()
                && text.len() <= 50
                && !text.starts_with('-')
                && text
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if ok {
                Ok(text.to_string())
            } else {
                Err(ActionError::input(
                    "topics",
                    format!("`{topic}` is not a GitHub topic (lower-case letters, digits and `-`, at most 50)"),
                ))
            }
        })
        .collect()
}

/// The branch protection asked for, or `None` when `protectDefaultBranch` is false.
pub(crate) fn protection(input: &Map<String, Value>) -> Result<Option<Value>, ActionError> {
    if !flag(input, "protectDefaultBranch", true)? {
        return Ok(None);
    }
    let reviews = match input.get("requiredApprovingReviewCount") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| *n <= 6)
            .ok_or_else(|| ActionError::input("requiredApprovingReviewCount", "must be a whole number from 0 to 6"))?,
    };
    let contexts: Vec<String> = match input.get("requiredStatusCheckContexts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.iter().all(Value::is_string) && list.len() <= 100 => {
            list.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Some(_) => {
            return Err(ActionError::input(
                "requiredStatusCheckContexts",
                "must be a list of check names",
            ));
        }
    };
    let status_checks = if contexts.is_empty() {
        Value::Null
    } else {
        json!({"strict": flag(input, "requireBranchesToBeUpToDate", true)?, "contexts": contexts})
    };
    Ok(Some(json!({
        "required_status_checks": status_checks,
        "enforce_admins": flag(input, "protectEnforceAdmins", true)?,
        "required_pull_request_reviews": {
            "required_approving_review_count": reviews,
            "require_code_owner_reviews": flag(input, "requireCodeOwnerReviews", false)?,
            "dismiss_stale_reviews": flag(input, "dismissStaleReviews", false)?,
        },
        "restrictions": null,
        "required_linear_history": flag(input, "requiredLinearHistory", false)?,
        "required_conversation_resolution": flag(input, "requiredConversationResolution", false)?,
    })))
}

/// The input schema's properties about the repository.
pub(crate) fn schema() -> Map<String, Value> {
    let boolean =
        |title: &str, description: &str| json!({"type": "boolean", "title": title, "description": description});
    let mut p = Map::new();
    p.insert(
        "description".into(),
        json!({"type": "string", "title": "Repository Description"}),
    );
    p.insert(
        "homepage".into(),
        json!({"type": "string", "title": "Repository Homepage"}),
    );
    p.insert("repoVisibility".into(), json!({"type": "string", "title": "Repository Visibility", "enum": ["private", "public", "internal"], "description": "Default: private (internal: organisations only)"}));
    p.insert(
        "topics".into(),
        json!({"type": "array", "title": "Topics", "items": {"type": "string"}}),
    );
    p.insert(
        "protectDefaultBranch".into(),
        boolean(
            "Protect Default Branch",
            "Protect the default branch after the first push. Default: true",
        ),
    );
    p.insert(
        "protectEnforceAdmins".into(),
        boolean("Enforce Admins On Protected Branches", "Default: true"),
    );
    p.insert("requiredApprovingReviewCount".into(), json!({"type": "number", "title": "Required approving review count", "description": "Approving reviews a pull request needs (0 to 6). Default: 1"}));
    p.insert(
        "requireCodeOwnerReviews".into(),
        boolean("Require CODEOWNER Reviews?", "Default: false"),
    );
    p.insert(
        "dismissStaleReviews".into(),
        boolean(
            "Dismiss Stale Reviews",
            "Dismiss approvals when new commits are pushed. Default: false",
        ),
    );
    p.insert(
        "requiredStatusCheckContexts".into(),
        json!({"type": "array", "items": {"type": "string"}, "title": "Required Status Check Contexts"}),
    );
    p.insert(
        "requireBranchesToBeUpToDate".into(),
        boolean("Require Branches To Be Up To Date?", "Default: true"),
    );
    p.insert(
        "requiredConversationResolution".into(),
        boolean("Required Conversation Resolution", "Default: false"),
    );
    p.insert(
        "requiredLinearHistory".into(),
        boolean("Require Linear History", "Default: false"),
    );
    p.insert(
        "deleteBranchOnMerge".into(),
        boolean("Delete Branch On Merge", "Default: false"),
    );
    p.insert(
        "allowMergeCommit".into(),
        boolean("Allow Merge Commits", "Default: true"),
    );
    p.insert(
        "allowSquashMerge".into(),
        boolean("Allow Squash Merges", "Default: true"),
    );
    p.insert(
        "allowRebaseMerge".into(),
        boolean("Allow Rebase Merges", "Default: true"),
    );
    p.insert("allowAutoMerge".into(), boolean("Allow Auto Merges", "Default: false"));
    p.insert("hasIssues".into(), boolean("Enable Issues", "Default: true"));
    p.insert("hasWiki".into(), boolean("Enable Wiki", "Default: true"));
    p.insert("hasProjects".into(), boolean("Enable Projects", "Default: true"));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn bodies_follow_the_inputs() {
        let i = input(json!({"description": "Payments", "repoVisibility": "internal", "deleteBranchOnMerge": true}));
        let v = Visibility::from_input(&i).unwrap();
        let body = repository_body(&i, "svc", v, true).unwrap();
        assert_eq!(body["visibility"], "internal");
        assert_eq!(body["private"], false);
        assert_eq!(body["description"], "Payments");
        assert_eq!(body["delete_branch_on_merge"], true);
        assert!(
            repository_body(&i, "svc", v, false)
                .unwrap()
                .get("visibility")
                .is_none()
        );
        assert!(Visibility::from_input(&input(json!({"repoVisibility": "secret"}))).is_err());
    }

    #[test]
    fn topics_and_protection_are_checked() {
        assert_eq!(
            topics(&input(json!({"topics": ["rust", "team-a"]}))).unwrap(),
            ["rust", "team-a"]
        );
        assert!(topics(&input(json!({"topics": ["Rust"]}))).is_err());
        assert!(topics(&input(json!({"topics": "rust"}))).is_err());
        let p = protection(&input(json!({"requiredApprovingReviewCount": 2})))
            .unwrap()
            .unwrap();
        assert_eq!(p["required_pull_request_reviews"]["required_approving_review_count"], 2);
        assert_eq!(p["required_status_checks"], Value::Null);
        assert!(
            protection(&input(json!({"protectDefaultBranch": false})))
                .unwrap()
                .is_none()
        );
        assert!(protection(&input(json!({"requiredApprovingReviewCount": 9}))).is_err());
    }
}
