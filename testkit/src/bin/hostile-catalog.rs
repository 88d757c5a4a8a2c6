//! Writes the hostile-strings catalog (`testkit::hostile`) into a directory and prints the path of
//! its `catalog-info.yaml`: for the browser tests, which register it on a server of their own.

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: hostile-catalog DIR");
        std::process::exit(2);
    };
    match testkit::hostile::write_catalog(std::path::Path::new(&dir)) {
        Ok(path) => println!("{}", path.display()),
        Err(err) => {
            eprintln!("hostile-catalog: cannot write {dir}: {err}");
            std::process::exit(1);
        }
    }
}
