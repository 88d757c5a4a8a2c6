//! The renderer against what Backstage's Nunjucks does with the same templates.

use serde_json::json;

use super::*;

fn renderer() -> Renderer {
    Renderer::new(100_000)
}

fn context() -> Value {
    json!({
        "parameters": {
            "name": "checkout", "port": 8080, "tags": ["a", "b"], "flag": false, "empty": "",
            "repoUrl": "github.com?owner=acme&repo=checkout", "owner": "group:default/Platform",
            "nested": {"list": [1, 2]}, "float": 2.0, "none": null,
        },
        "steps": {"fetch": {"output": {"code": 200}}},
    })
}

#[test]
fn single_expressions_keep_their_type() {
    let r = renderer();
    let input = json!({
        "port": "${{ parameters.port }}", "tags": " ${{ parameters.tags }} ", "flag": "${{ parameters.flag }}",
        "nested": "${{ parameters.nested }}", "text": "port ${{ parameters.port }}",
        "missing": "${{ parameters.nothing }}", "emptied": "${{ parameters.nothing }}x", "blank": "",
        "list": ["${{ parameters.nothing }}", 3, true],
    });
    let out = r.value(&input, &context()).unwrap();
    assert_eq!(
        out,
        json!({"port": 8080, "tags": ["a", "b"], "flag": false, "nested": {"list": [1, 2]},
            "text": "port 8080", "emptied": "x", "list": [null, 3, true]})
    );
}

#[test]
fn backstage_filters_and_nunjucks_expressions() {
    let r = renderer();
    let ctx = context();
    let value = |s: &str| r.value(&json!(s), &ctx).unwrap();
    assert_eq!(
        value("${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}"),
        json!("acme")
    );
    assert_eq!(
        value("${{ (parameters.repoUrl | parseRepoUrl).repo }}"),
        json!("checkout")
    );
    assert_eq!(
        value("${{ (parameters.repoUrl | parseRepoUrl)[\"repo\"] }}"),
        json!("checkout")
    );
    assert_eq!(value("${{ parameters.repoUrl | projectSlug }}"), json!("acme/checkout"));
    assert_eq!(
        value("${{ parameters.owner | parseEntityRef | pick('name') }}"),
        json!("Platform")
    );
    assert_eq!(
        value("${{ 'jane' | parseEntityRef({defaultKind: 'user', defaultNamespace: 'ops'}) }}"),
        json!({"kind": "user", "namespace": "ops", "name": "jane"})
    );
    assert_eq!(value("${{ parameters.nothing | default('y') }}"), json!("y"));
    assert_eq!(value("${{ parameters.tags | dump }}"), json!("[\"a\",\"b\"]"));
    assert_eq!(value("${{ 'a' if parameters.flag else 'b' }}"), json!("b"));
    assert_eq!(
        value("${{ not parameters.flag and parameters.port == 8080 }}"),
        json!(true)
    );
    assert_eq!(value("${{ steps.fetch.output.code === 200 }}"), json!(true));
    assert_eq!(value("${{ parameters.flag && '3000' || '8080' }}"), json!("8080"));
    assert_eq!(value("${{ parameters.tags.length || 0 }}"), json!(2));
    assert_eq!(value("${{ parameters.name + '-' + 'svc' }}"), json!("checkout-svc"));
    assert_eq!(value("${{ parameters.nothing + '-system' }}"), json!("-system"));
    assert_eq!(value("${{ 'port ' + parameters.port }}"), json!("port 8080"));
    assert_eq!(value("${{ parameters.port + 1 }}"), json!(8081));
    assert_eq!(value("${{ parameters.name.toUpperCase() }}"), json!("CHECKOUT"));
    assert_eq!(
        value("${{ parameters.name | replace('check', 'pay') | upper }}"),
        json!("PAYOUT")
    );
}

#[test]
fn text_renders_like_nunjucks() {
    let r = renderer();
    let ctx = json!({"values": {"name": "svc", "none": null, "float": 2.0, "tags": ["a", "b"]}});
    let text = "name: ${{ values.name }}\n{{ helm }} ${{ values.missing.deep }}|${{ values.none }}|${{ values.float }}|${{ values.tags }}\n";
    assert_eq!(r.text(text, &ctx).unwrap(), "name: svc\n{{ helm }} ||2|a,b\n");
    assert_eq!(
        r.text(
            "{% if values.name %}<${{ values.name | title }}>{% endif %}{# gone #}",
            &ctx
        )
        .unwrap(),
        "<Svc>"
    );
    assert_eq!(
        r.text("{% raw %}${{ github.sha }}{% endraw %}", &ctx).unwrap(),
        "${{ github.sha }}"
    );
}

#[test]
fn conditions() {
    let r = renderer();
    let ctx = context();
    assert!(!r.condition(&json!("${{ parameters.flag }}"), &ctx).unwrap());
    assert!(!r.condition(&json!("${{ parameters.nothing }}"), &ctx).unwrap());
    assert!(r.condition(&json!("${{ parameters.port > 80 }}"), &ctx).unwrap());
    assert!(r.condition(&json!(true), &ctx).unwrap());
}

#[test]
fn errors_name_the_line() {
    let r = renderer();
    let err = r.text("one\ntwo\n${{ values.x | }}\n", &json!({})).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.to_string().starts_with("line 3: syntax error"), "{err}");
    let err = r.text("a\n${{ values.x | nosuchfilter }}", &json!({})).unwrap_err();
    assert!(err.to_string().contains("nosuchfilter"), "{err}");
    let err = r
        .value(&json!({"values": {"list": ["ok", "${{ x | }}"]}}), &json!({}))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("values.list.1: line 1: syntax error"),
        "{err}"
    );
    assert!(r.check_syntax("{% if %}").is_err());
    assert!(r.check_syntax("${{ a }}{% if b %}c{% endif %}").is_ok());
}

#[test]
fn endless_loops_run_out_of_fuel() {
    let r = renderer();
    let err = r
        .text(
            "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}",
            &json!({}),
        )
        .unwrap_err();
    assert!(err.message.contains("more than 100000 evaluation steps"), "{err}");
    let err = r
        .text("{% macro f(n) %}${{ f(n + 1) }}{% endmacro %}${{ f(0) }}", &json!({}))
        .unwrap_err();
    assert!(
        err.message.contains("recursion") || err.message.contains("evaluation steps"),
        "{err}"
    );
}

#[test]
fn output_is_capped() {
    let r = Renderer::new(10_000_000).with_max_output(1000);
    let err = r
        .text("{% for i in range(2000) %}ab{% endfor %}", &json!({}))
        .unwrap_err();
    assert!(err.message.contains("larger than the limit of 1000 bytes"), "{err}");
    let err = r.text("${{ 'x' * 5000 }}", &json!({})).unwrap_err();
    assert!(err.message.contains("1000 bytes"), "{err}");
    let err = r.value(&json!("${{ 'x' * 5000 }}"), &json!({})).unwrap_err();
    assert!(err.message.contains("1000 bytes"), "{err}");
    let err = r
        .text(
            "{% set s %}{% for i in range(100) %}${{ 'x' * 100 }}{% endfor %}{% endset %}",
            &json!({}),
        )
        .unwrap_err();
    assert!(err.message.contains("prints more than"), "{err}");
}

#[test]
fn trim_and_lstrip_blocks() {
    let template = "a\n  {% if true %}\nb\n  {% endif %}\nc";
    assert_eq!(renderer().text(template, &json!({})).unwrap(), "a\n  \nb\n  \nc");
    let r = renderer().with_blocks(true, true);
    assert_eq!(r.text(template, &json!({})).unwrap(), "a\nb\nc");
}

#[test]
fn finds_unknown_filters() {
    let r = renderer();
    let template =
        "${{ parameters.x | now }}-${{ parameters.y | parseRepoUrl | pick('owner') | lower }} ${{ a | dump }}";
    assert_eq!(r.unknown_filters(template), ["now"]);
}

#[test]
fn jinja_only_globals_are_absent() {
    let r = renderer();
    for template in ["${{ debug() }}", "{% set ns = namespace(s='') %}"] {
        let err = r.text(template, &json!({})).unwrap_err();
        assert!(
            err.message.contains("unknown function") || err.message.contains("undefined"),
            "{err}"
        );
    }
}
