#[path = "support/fixture.rs"]
mod fixture;
use fixture::{Fixture, fetch_step};
use serde_json::json;
use templates::workspace::Limits;

#[tokio::test]
async fn measure() {
    let fx = Fixture::new();
    let body = "name: ${{ values.name }}\n{% for i in range(20) %}line ${{ i }} ${{ values.name | upper }}\n{% endfor %}".repeat(20);
    for i in 0..1000 {
        fx.file(&format!("skeleton/d{}/${{{{ values.name }}}}-{i}.txt", i % 20), body.as_bytes());
    }
    let steps = fetch_step("        url: ./skeleton\n        values:\n          name: svc\n");
    let t = std::time::Instant::now();
    let (r, _) = fx.run(&steps, json!({}), Limits::default()).await;
    r.unwrap();
    println!("1000 files x {} bytes: {:?}", body.len(), t.elapsed());
    let steps = "    - id: fetch\n      action: fetch:plain\n      input:\n        url: ./skeleton\n        targetPath: plain\n";
    let t = std::time::Instant::now();
    let (r, _) = fx.run(steps, json!({}), Limits::default()).await;
    r.unwrap();
    println!("plain 1000 files: {:?}", t.elapsed());
    let fx = Fixture::new();
    fx.file("skeleton/loop.txt", b"{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}");
    let t = std::time::Instant::now();
    let (r, _) = fx.run(&fetch_step("        url: ./skeleton\n"), json!({}), Limits::default()).await;
    assert!(r.is_err());
    println!("endless loop stopped after {:?}", t.elapsed());
}
