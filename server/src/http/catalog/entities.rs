//! `/entities…` and `/entity-facets`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use catalog::model::{EntityRef, Filter};
use catalog::store::{Order, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::params::{Params, decode_cursor, encode_cursor, project};
use crate::state::AppState;

/// Page size of `by-query` when the caller gives none (Backstage's default).
const DEFAULT_QUERY_LIMIT: usize = 20;
/// Page size used internally when `GET /entities` is asked for everything.
const FULL_LIST_PAGE: usize = 1000;

/// `GET /entities?filter=…&fields=…&offset=…&limit=…&order=asc:metadata.name`: a JSON array.
pub async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let filter = Filter::from_params(&params.all("filter"))?;
    let fields = params.list("fields");
    let order = params
        .all("order")
        .iter()
        .map(|o| parse_order_param(o))
        .collect::<Result<Vec<_>, _>>()?;
    let offset = params.number("offset")?.unwrap_or(0);
    let store = &state.catalog.store;
    if let Some(limit) = params.number("limit")? {
        let request = PageRequest {
            filter,
            order,
            limit,
            offset,
            ..PageRequest::default()
        };
        let page = store.list_entities(&request).await?;
        return Ok(Json(page.items.into_iter().map(|e| project(e, &fields)).collect()));
    }
    // Everything, as Backstage returns it, read page by page along the keyset.
    let mut items = Vec::new();
    let mut request = PageRequest {
        filter,
        order,
        limit: FULL_LIST_PAGE,
        offset,
        ..PageRequest::default()
    };
    loop {
        let page = store.list_entities(&request).await?;
        items.extend(page.items.into_iter().map(|e| project(e, &fields)));
        if !page.has_more {
            break;
        }
        request.after = page.last_key;
        request.offset = 0;
    }
    Ok(Json(items))
}

/// `GET /entities/by-query`: filtered, ordered, full-text searched, cursor-paginated.
pub async fn by_query(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let fields = params.list("fields");
    let limit = params.number("limit")?.unwrap_or(DEFAULT_QUERY_LIMIT);
    let request = match params.one("cursor") {
        Some(cursor) => {
            let cursor = decode_cursor(&cursor)?;
            let mut request: PageRequest =
                serde_json::from_value(cursor).map_err(|_| ApiError::Input("the cursor is not valid".into()))?;
            request.limit = limit;
            request
        }
        None => PageRequest {
            filter: Filter::from_params(&params.all("filter"))?,
            full_text: params.one("fullTextFilterTerm"),
            full_text_fields: params.list("fullTextFilterFields"),
            order: params
                .all("orderField")
                .iter()
                .map(|o| parse_order_field(o))
                .collect::<Result<_, _>>()?,
            limit,
            ..PageRequest::default()
        },
    };
    let shared = state.catalog.store.list_entities_json(&request).await?;
    let page = &shared.page;
    let cursor = |key: Option<(String, String)>, backwards: bool| {
        key.map(|after| {
            let next = PageRequest {
                after: Some(after),
                backwards,
                offset: 0,
                ..request.clone()
            };
            encode_cursor(&serde_json::to_value(next).unwrap_or_default())
        })
    };
    // Forward: more after the last item. Backward: the page came from a cursor, so there is one before.
    let (has_next, has_prev) = if request.backwards {
        (true, page.has_more)
    } else {
        (page.has_more, request.after.is_some())
    };
    let next = if has_next {
        cursor(page.last_key.clone(), false)
    } else {
        None
    };
    let prev = if has_prev {
        cursor(page.first_key.clone(), true)
    } else {
        None
    };
    let mut page_info = serde_json::Map::new();
    if let Some(n) = next {
        page_info.insert("nextCursor".into(), Value::String(n));
    }
    if let Some(p) = prev {
        page_info.insert("prevCursor".into(), Value::String(p));
    }
    if !fields.is_empty() {
        let items: Vec<Value> = page.items.iter().map(|e| project(e.clone(), &fields)).collect();
        return Ok(Json(json!({"items": items, "totalItems": page.total, "pageInfo": page_info})).into_response());
    }
    // The entities as the store keeps them serialized: a search asked again costs no encoding.
    let mut body = Vec::with_capacity(shared.items_json.len() + 256);
    body.extend_from_slice(b"{\"items\":");
    body.extend_from_slice(&shared.items_json);
    body.extend(format!(",\"totalItems\":{},\"pageInfo\":", page.total).bytes());
    body.extend(serde_json::to_vec(&page_info).unwrap_or_else(|_| b"{}".to_vec()));
    body.push(b'}');
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByRefs {
    entity_refs: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
}

/// Most references one `by-refs` call may ask for.
const MAX_REFS: usize = 10_000;

/// `POST /entities/by-refs`: `{"items": [entity | null, …]}` in the order asked.
pub async fn by_refs(State(state): State<AppState>, Json(body): Json<ByRefs>) -> Result<Json<Value>, ApiError> {
    if body.entity_refs.len() > MAX_REFS {
        return Err(ApiError::Input(format!("at most {MAX_REFS} entity refs per request")));
    }
    let refs: Vec<String> = body
        .entity_refs
        .iter()
        .map(|r| {
            EntityRef::parse_full(r)
                .map(|r| r.to_string())
                .map_err(|e| ApiError::Input(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let items = state.catalog.store.entities_by_refs(&refs).await?;
    let items: Vec<Value> = items
        .into_iter()
        .map(|e| e.map_or(Value::Null, |e| project(e, &body.fields)))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `GET /entities/by-name/{kind}/{namespace}/{name}`.
pub async fn by_name(
    State(state): State<AppState>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let entity_ref = EntityRef::new(&kind, &namespace, &name);
    match state.catalog.store.entity_json_by_ref(&entity_ref).await? {
        Some(entity) => Ok(json_bytes(&entity)),
        None => Err(ApiError::NotFound(format!("No entity named '{entity_ref}' found"))),
    }
}

/// `GET /entities/by-uid/{uid}`.
pub async fn by_uid(State(state): State<AppState>, Path(uid): Path<String>) -> Result<Response, ApiError> {
    match state.catalog.store.entity_json_by_uid(&uid).await? {
        Some(entity) => Ok(json_bytes(&entity)),
        None => Err(ApiError::NotFound(format!("No entity with uid {uid}"))),
    }
}

/// The entity's JSON as the store keeps it serialized: sent without copying.
fn json_bytes(entity: &catalog::store::EntityJson) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::from_owner(entity.json.clone()),
    )
        .into_response()
}

/// `DELETE /entities/by-uid/{uid}`: 204. Its location brings it back if it still declares it.
pub async fn delete_by_uid(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Path(uid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let Some(stored) = state.catalog.store.entity_by_uid(&uid).await? else {
        return Err(ApiError::NotFound(format!("No entity with uid {uid}")));
    };
    let entity = &stored.entity;
    let entity_ref = catalog::model::EntityRef::new(
        entity["kind"].as_str().unwrap_or_default(),
        entity["metadata"]["namespace"].as_str().unwrap_or("default"),
        entity["metadata"]["name"].as_str().unwrap_or_default(),
    )
    .to_string();
    crate::http::access::authorize_entity(&state, &caller, access::Permission::EntityDelete, &entity_ref).await?;
    if state.catalog.store.delete_entity(&uid).await? {
        crate::http::access::audit(&state, &caller, "entity-unregistered", &entity_ref, None).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("No entity with uid {uid}")))
    }
}

/// Most facets one request may ask for.
const MAX_FACETS: usize = 20;

/// `GET /entity-facets?facet=kind&facet=spec.type&filter=…`.
pub async fn facets(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let filter = Filter::from_params(&params.all("filter"))?;
    let names = params.all("facet");
    if names.is_empty() || names.len() > MAX_FACETS {
        return Err(ApiError::Input(format!(
            "give between 1 and {MAX_FACETS} `facet` parameters"
        )));
    }
    // `{"facets": {name: values, …}}`, the values as the store keeps them serialized. A name
    // asked for twice is sent once, as a JSON object would hold it.
    let mut body = b"{\"facets\":{".to_vec();
    let mut sent = std::collections::HashSet::new();
    for name in names {
        if !sent.insert(name.clone()) {
            continue;
        }
        let values = state.catalog.store.facet_values(&name, filter.as_ref()).await?;
        if sent.len() > 1 {
            body.push(b',');
        }
        body.extend(serde_json::to_vec(&name).unwrap_or_default());
        body.push(b':');
        body.extend_from_slice(&values.json);
    }
    body.extend(b"}}");
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `asc:metadata.name` (GET /entities).
fn parse_order_param(text: &str) -> Result<Order, ApiError> {
    match text.split_once(':') {
        Some(("asc", field)) => Ok(Order {
            field: field.into(),
            descending: false,
        }),
        Some(("desc", field)) => Ok(Order {
            field: field.into(),
            descending: true,
        }),
        _ => Err(ApiError::Input(format!(
            "`order={text}` must be asc:<field> or desc:<field>"
        ))),
    }
}

/// `metadata.name,asc` (by-query's orderField).
fn parse_order_field(text: &str) -> Result<Order, ApiError> {
    let (field, direction) = text.split_once(',').unwrap_or((text, "asc"));
    match direction {
        "asc" => Ok(Order {
            field: field.into(),
            descending: false,
        }),
        "desc" => Ok(Order {
            field: field.into(),
            descending: true,
        }),
        _ => Err(ApiError::Input(format!(
            "`orderField={text}` must be <field>,asc or <field>,desc"
        ))),
    }
}
