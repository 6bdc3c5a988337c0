//! `include/tokenwell.h` is what cbindgen generates from the source today. `make header-c`
//! (TOKENWELL_BLESS=1) rewrites it; otherwise a difference fails the test.

use std::path::Path;

#[test]
fn header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("include/tokenwell.h");
    if std::env::var_os("TOKENWELL_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/tokenwell.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/tokenwell.h is out of date: run `make header-c` and commit the result\n--- generated ---\n{}",
        String::from_utf8_lossy(&generated)
    );
}
