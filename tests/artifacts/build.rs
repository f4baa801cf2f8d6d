//! Builds every test plugin under tests/plugins for wasm32-wasip2 and
//! writes a constant per plugin with the path of its component.

#[path = "../../host/build/wasm_build.rs"]
mod wasm_build;

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.ancestors().nth(2).unwrap().to_path_buf();
    let plugins_dir = workspace.join("tests/plugins");
    let mut names: Vec<String> = std::fs::read_dir(&plugins_dir)
        .expect("read tests/plugins/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let packages: Vec<String> = names.iter().map(|n| format!("test-plugin-{n}")).collect();
    let built = wasm_build::build(&workspace, &packages);

    let mut code = String::from("/// Test plugin components, built from tests/plugins/*.\n");
    for (name, path) in names.iter().zip(&built) {
        let constant = name.to_uppercase().replace('-', "_");
        code.push_str(&format!(
            "pub const {constant}: &str = {:?};\n",
            path.display().to_string()
        ));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("test_plugins.rs"), code).unwrap();
    wasm_build::watch(&[
        plugins_dir,
        workspace.join("Cargo.toml"),
        workspace.join("sdk"),
        workspace.join("wit"),
        workspace.join("host/build"),
    ]);
}
