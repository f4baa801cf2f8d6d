//! Builds the first-party plugins (plugins/*) for wasm32-wasip2 and embeds
//! them, so `aicomply run --target PATH` works with no plugin directory.

#[path = "build/wasm_build.rs"]
mod wasm_build;

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap().to_path_buf();
    let plugins_dir = workspace.join("plugins");

    let mut names: Vec<String> = std::fs::read_dir(&plugins_dir)
        .expect("read plugins/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let packages: Vec<String> = names
        .iter()
        .map(|n| format!("aicomply-plugin-{n}"))
        .collect();
    let built = wasm_build::build(&workspace, &packages);

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut table = String::from("pub static EMBEDDED: &[EmbeddedPlugin] = &[\n");
    for (name, wasm) in names.iter().zip(&built) {
        let dest = out.join(format!("{name}.wasm"));
        std::fs::copy(wasm, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", wasm.display()));
        table.push_str(&format!(
            "    EmbeddedPlugin {{ name: {name:?}, wasm: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}.wasm\")) }},\n"
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("embedded.rs"), table).unwrap();

    wasm_build::watch(&[
        plugins_dir,
        workspace.join("sdk"),
        workspace.join("wit"),
        workspace.join("Cargo.lock"),
        workspace.join("Cargo.toml"),
        manifest.join("build"),
    ]);
}
