use serde_json::json;
use templates::render::Renderer;

#[test]
fn measure_render() {
    let r = Renderer::new(5_000_000).with_max_output(10 << 20);
    let body = "name: ${{ values.name }}\n{% for i in range(20) %}line ${{ i }} ${{ values.name | upper }}\n{% endfor %}".repeat(20);
    let ctx = json!({"values": {"name": "svc"}});
    let t = std::time::Instant::now();
    for _ in 0..100 { r.text(&body, &ctx).unwrap(); }
    println!("100 bodies: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for i in 0..1000 { r.text(&format!("d/${{{{ values.name }}}}-{i}.txt"), &ctx).unwrap(); }
    println!("1000 names: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for _ in 0..100 { templates::render::Renderer::new(5_000_000); }
    println!("100 envs: {:?}", t.elapsed());
}
