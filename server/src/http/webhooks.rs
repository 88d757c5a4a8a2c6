//! `POST /api/webhooks/github`: GitHub's deliveries, signed with the configured secret. A push
//! refreshes the Git locations that follow the pushed branch of that repository; a repository
//! event (created, renamed, archived, deleted…) refreshes those of the repository and the
//! owner's discovery; a push that adds or removes a catalog file refreshes the discovery too, as
//! do a GitHub App's installation events; membership, team and organization events refresh the
//! owner's org sync; a `deployment_status` that finished a production deployment is recorded
//! for the delivery metrics. The
//! reply comes at once (GitHub waits 10 s at most); workers do the refreshes behind it.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use catalog::store::now_ms;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::state::AppState;

/// GitHub's largest payload.
pub const MAX_BODY_BYTES: usize = 25 << 20;

pub async fn github(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(secret) = state.catalog.config.github_webhook_secret.clone() else {
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "GitHub webhooks are not configured here (events.modules.github.webhookSecret)",
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !signed_by(&secret.0, header("x-hub-signature-256"), &body) {
        tracing::warn!(
            delivery = header("x-github-delivery"),
            "webhook refused: bad or missing signature"
        );
        return reply(
            StatusCode::UNAUTHORIZED,
            "the X-Hub-Signature-256 signature does not match this server's secret",
        );
    }
    let event = header("x-github-event").to_string();
    let delivery = header("x-github-delivery").to_string();
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return reply(StatusCode::BAD_REQUEST, &format!("the payload is not JSON: {e}")),
    };
    let host = ["repository", "organization", "sender", "installation"]
        .iter()
        .find_map(|k| payload[*k]["html_url"].as_str())
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("github.com")
        .to_string();
    let owner = payload["repository"]["owner"]["login"]
        .as_str()
        .or_else(|| payload["organization"]["login"].as_str())
        .unwrap_or_default()
        .to_string();
    // A GitHub App installed on (or removed from) repositories: what its discovery sees changed.
    if matches!(event.as_str(), "installation_repositories" | "installation") {
        let account = payload["installation"]["account"]["login"].as_str().unwrap_or_default();
        return refresh_github_locations(&state, &event, &delivery, "github-discovery", &host, account).await;
    }
    if event == "deployment_status" {
        return deployment_status(&state, &delivery, &payload).await;
    }
    if matches!(event.as_str(), "membership" | "organization" | "team") {
        return refresh_github_locations(&state, &event, &delivery, "github-org", &host, &owner).await;
    }
    let repository = &payload["repository"];
    let urls: Vec<String> = ["html_url", "clone_url", "ssh_url", "git_url"]
        .iter()
        .filter_map(|k| repository[*k].as_str().map(str::to_string))
        .collect();
    let default_branch = repository["default_branch"].as_str().unwrap_or("main").to_string();
    let branch = match event.as_str() {
        "ping" => return reply(StatusCode::OK, "pong"),
        "push" => match payload["ref"].as_str().and_then(|r| r.strip_prefix("refs/heads/")) {
            Some(branch) => branch.to_string(),
            None => return reply(StatusCode::ACCEPTED, "ignored: not a branch"),
        },
        // Renamed, archived, transferred, deleted: the locations of the repository learn it.
        "repository" => default_branch.clone(),
        other => {
            return reply(
                StatusCode::ACCEPTED,
                &format!("ignored: `{other}` events change nothing here"),
            );
        }
    };
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut locations = match state
        .catalog
        .locations_for_push(&url_refs, &branch, &default_branch)
        .await
    {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "webhook: finding the locations failed");
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "finding the affected locations failed",
            );
        }
    };
    // The owner's discovery learns of new, renamed, archived and deleted repositories, and of
    // catalog files added to or removed from a default branch.
    let catalog_file_moved = || {
        payload["commits"].as_array().into_iter().flatten().any(|c| {
            ["added", "removed"].iter().any(|k| {
                c[*k].as_array().into_iter().flatten().any(|f| {
                    f.as_str()
                        .is_some_and(|f| f.ends_with("catalog-info.yaml") || f.ends_with("catalog-info.yml"))
                })
            })
        })
    };
    if event == "repository" || (branch == default_branch && catalog_file_moved()) {
        match state
            .catalog
            .github_locations_of("github-discovery", &host, &owner)
            .await
        {
            Ok(found) => locations.extend(found),
            Err(e) => tracing::error!(error = %e, "webhook: finding the discovery locations failed"),
        }
    }
    tracing::info!(event, delivery, branch, locations = locations.len(), "webhook accepted");
    request(&state, &event, &delivery, locations).await
}

/// A finished deployment to production becomes a reported deployment of each entity of the
/// repository (`delivery`); other states and environments are acknowledged and ignored.
async fn deployment_status(state: &AppState, delivery: &str, payload: &Value) -> Response {
    match state.delivery.github_deployment_status(payload, now_ms()).await {
        Ok(applied) => {
            tracing::info!(delivery, recorded = applied.recorded.len(), ignored = ?applied.ignored, "deployment_status accepted");
            (StatusCode::ACCEPTED, axum::Json(json!(applied))).into_response()
        }
        Err(delivery::DeliveryError::Invalid { field, message }) => {
            reply(StatusCode::BAD_REQUEST, &format!("{field}: {message}"))
        }
        Err(e) => {
            tracing::error!(error = %e, delivery, "webhook: recording a deployment_status failed");
            reply(StatusCode::INTERNAL_SERVER_ERROR, "recording the deployment failed")
        }
    }
}

/// Asks for the `github-discovery` or `github-org` locations of `owner` on `host` to be read again.
async fn refresh_github_locations(
    state: &AppState,
    event: &str,
    delivery: &str,
    location_type: &str,
    host: &str,
    owner: &str,
) -> Response {
    match state.catalog.github_locations_of(location_type, host, owner).await {
        Ok(locations) => request(state, event, delivery, locations).await,
        Err(e) => {
            tracing::error!(error = %e, location_type, "webhook: finding the affected locations failed");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "finding the affected locations failed",
            )
        }
    }
}

/// Asks the workers to refresh `locations` now, and tells GitHub how many.
async fn request(
    state: &AppState,
    event: &str,
    delivery: &str,
    locations: Vec<catalog::store::LocationRow>,
) -> Response {
    tracing::debug!(
        event,
        delivery,
        locations = locations.len(),
        "webhook: requesting refreshes"
    );
    let count = locations.len();
    // Workers pick them up at once (here, or on whichever replica is free first).
    if let Err(e) = state.catalog.request_refresh(&locations).await {
        tracing::error!(error = %e, "webhook: requesting refreshes failed");
        return reply(StatusCode::INTERNAL_SERVER_ERROR, "requesting the refreshes failed");
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"status": "accepted", "locations": count})),
    )
        .into_response()
}

/// `sha256=<hex>` of the body under `secret`, compared in constant time.
fn signed_by(secret: &str, signature: &str, body: &[u8]) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn reply(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"status": status.as_u16(), "message": message})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_signature_of_the_exact_body_passes() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"It's a Secret to Everybody").expect("key");
        mac.update(b"Hello, World!");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        // GitHub's documented example.
        assert_eq!(hex, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        let signature = format!("sha256={hex}");
        assert!(signed_by("It's a Secret to Everybody", &signature, b"Hello, World!"));
        assert!(!signed_by("It's a Secret to Everybody", &signature, b"Hello, World?"));
        assert!(!signed_by("another secret", &signature, b"Hello, World!"));
        assert!(
            !signed_by("It's a Secret to Everybody", &hex, b"Hello, World!"),
            "prefix required"
        );
        assert!(!signed_by("It's a Secret to Everybody", "sha256=zz", b"Hello, World!"));
    }
}
