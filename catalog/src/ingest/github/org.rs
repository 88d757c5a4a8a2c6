//! Org sync: teams become Groups (nested as on GitHub), members become Users, as Backstage's
//! `GithubOrgEntityProvider` writes them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::IngestError;
use super::client::{Session, encode};

const MAX_TEAMS: usize = 10_000;
const MAX_MEMBERS: usize = 50_000;

#[derive(Deserialize)]
struct Team {
    slug: String,
    name: String,
    description: Option<String>,
    html_url: Option<String>,
    parent: Option<Parent>,
}

#[derive(Deserialize)]
struct Parent {
    slug: String,
}

#[derive(Deserialize)]
struct Member {
    login: String,
    avatar_url: Option<String>,
}

/// `GET /users/{login}`: `name` and `email` are null unless the user made them public.
#[derive(Deserialize, Default)]
struct Profile {
    name: Option<String>,
    email: Option<String>,
    bio: Option<String>,
}

pub(super) async fn entities(session: &Session<'_>, org: &str, namespace: &str) -> Result<Vec<Value>, IngestError> {
    let org_enc = encode(org);
    let teams_target = format!("/orgs/{org_enc}/teams?per_page=100");
    let teams: Vec<Team> = session.list(&teams_target, MAX_TEAMS).await?.ok_or_else(|| {
        IngestError::Read(format!(
            "GitHub has no organisation named {org} visible with these credentials (GET {teams_target}: 404)"
        ))
    })?;
    let members_target = format!("/orgs/{org_enc}/members?per_page=100");
    let members: Vec<Member> = session.list(&members_target, MAX_MEMBERS).await?.unwrap_or_default();

    let org_enc = &org_enc;
    // Owned items: closures over borrowed ones make the future's `Send` unprovable to the
    // compiler once it is spawned.
    let slugs: Vec<String> = teams.iter().map(|t| t.slug.clone()).collect();
    let listed: HashMap<String, Vec<String>> = futures::stream::iter(slugs)
        .map(|slug| async move {
            let target = format!("/orgs/{org_enc}/teams/{}/members?per_page=100", encode(&slug));
            // A team deleted since the listing has no members.
            let logins = session.list::<Member>(&target, MAX_MEMBERS).await?.unwrap_or_default();
            Ok::<_, IngestError>((slug, logins.into_iter().map(|m| m.login).collect()))
        })
        .buffer_unordered(session.concurrency)
        .try_collect()
        .await?;

    let logins: Vec<String> = members.iter().map(|m| m.login.clone()).collect();
    let profiles: HashMap<String, Profile> = futures::stream::iter(logins)
        .map(|login| async move {
            let target = format!("/users/{}", encode(&login));
            let reply = session.get(&target).await?;
            // A user deleted since the listing keeps what the listing said.
            let profile = if reply.status == 404 {
                Profile::default()
            } else {
                reply.json(&target)?
            };
            Ok::<_, IngestError>((login, profile))
        })
        .buffer_unordered(session.concurrency)
        .try_collect()
        .await?;

    let children = children_of(&teams);
    let direct = direct_members(&teams, &children, &listed);
    let mut member_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (slug, logins) in &direct {
        for login in logins {
            member_of.entry(login).or_default().insert(slug);
        }
    }

    let mut entities = Vec::with_capacity(teams.len() + members.len());
    for team in &teams {
        entities.push(group(org, namespace, team, &children, &direct));
    }
    for member in &members {
        let profile = profiles.get(&member.login);
        let teams = member_of.get(member.login.as_str()).cloned().unwrap_or_default();
        entities.push(user(namespace, member, profile, teams));
    }
    Ok(entities)
}

fn children_of(teams: &[Team]) -> BTreeMap<&str, Vec<&str>> {
    let known: BTreeSet<&str> = teams.iter().map(|t| t.slug.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for team in teams {
        if let Some(parent) = team.parent.as_ref().filter(|p| known.contains(p.slug.as_str())) {
            children
                .entry(parent.slug.as_str())
                .or_default()
                .push(team.slug.as_str());
        }
    }
    for list in children.values_mut() {
        list.sort_unstable();
    }
    children
}

/// A team's own members. GitHub's REST list includes the members of child teams; Backstage reads
/// immediate members (GraphQL), so those found in a child team are left to the child, where the
/// group hierarchy still makes them members of the parent.
fn direct_members<'a>(
    teams: &'a [Team],
    children: &BTreeMap<&str, Vec<&str>>,
    listed: &'a HashMap<String, Vec<String>>,
) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let mut direct = BTreeMap::new();
    for team in teams {
        let in_children: BTreeSet<&str> = children
            .get(team.slug.as_str())
            .into_iter()
            .flatten()
            .filter_map(|child| listed.get(*child))
            .flatten()
            .map(String::as_str)
            .collect();
        let own: BTreeSet<&str> = listed
            .get(&team.slug)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|login| !in_children.contains(login))
            .collect();
        direct.insert(team.slug.as_str(), own);
    }
    direct
}

fn group(
    org: &str,
    namespace: &str,
    team: &Team,
    children: &BTreeMap<&str, Vec<&str>>,
    direct: &BTreeMap<&str, BTreeSet<&str>>,
) -> Value {
    let mut annotations = json!({ "github.com/team-slug": format!("{org}/{}", team.slug) });
    if let Some(url) = &team.html_url {
        annotations["backstage.io/edit-url"] = json!(format!("{url}/edit"));
    }
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": { "name": team.slug, "namespace": namespace, "annotations": annotations },
        "spec": {
            "type": "team",
            "profile": { "displayName": team.name },
            "children": children.get(team.slug.as_str()).cloned().unwrap_or_default(),
            "members": direct.get(team.slug.as_str()).cloned().unwrap_or_default(),
        }
    });
    if let Some(description) = team.description.as_deref().filter(|d| !d.is_empty()) {
        entity["metadata"]["description"] = json!(description);
    }
    if let Some(parent) = &team.parent {
        entity["spec"]["parent"] = json!(parent.slug);
    }
    entity
}

fn user(namespace: &str, member: &Member, profile: Option<&Profile>, teams: BTreeSet<&str>) -> Value {
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {
            "name": member.login,
            "namespace": namespace,
            "annotations": { "github.com/user-login": member.login },
        },
        "spec": { "profile": {}, "memberOf": teams },
    });
    let visible = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    if let Some(profile) = profile {
        if let Some(name) = visible(&profile.name) {
            entity["spec"]["profile"]["displayName"] = json!(name);
        }
        if let Some(email) = visible(&profile.email) {
            entity["spec"]["profile"]["email"] = json!(email);
        }
        if let Some(bio) = visible(&profile.bio) {
            entity["metadata"]["description"] = json!(bio);
        }
    }
    if let Some(picture) = visible(&member.avatar_url) {
        entity["spec"]["profile"]["picture"] = json!(picture);
    }
    entity
}
