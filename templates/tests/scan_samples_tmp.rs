use serde_json::Value;
use templates::render::Renderer;

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.contains("${{") || s.contains("{%") => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn scan() {
    let r = Renderer::new(1_000_000);
    let (mut total, mut bad) = (0, 0);
    for entry in std::fs::read_dir("/work/shared/samples/templates/real").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in text.split("\n---") {
            let Ok(v) = serde_saphyr::from_str::<Value>(doc) else { continue };
            let mut out = Vec::new();
            if let Some(spec) = v.get("spec") {
                strings(spec.get("steps").unwrap_or(&Value::Null), &mut out);
                strings(spec.get("output").unwrap_or(&Value::Null), &mut out);
            }
            for s in out {
                total += 1;
                let ctx = serde_json::json!({"parameters": {}, "steps": {}, "user": {"entity": {"metadata": {}}}});
                if let Err(e) = r.check_syntax(&s) {
                    bad += 1;
                    println!("{}: {s:?}\n   -> {e}", path.file_name().unwrap().to_string_lossy());
                }
            }
        }
    }
    println!("total {total}, failing {bad}");
}
