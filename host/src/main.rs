fn main() {
    std::process::exit(aicomply::cli::main());
}
