//! The code plugin's check catalogue (model files). Ids are stable.

use aicomply_sdk::{Check, Severity};

pub const PICKLE_CALL: &str = "CODE-PICKLE-DANGEROUS-CALL";
pub const PICKLE_IMPORT: &str = "CODE-PICKLE-DANGEROUS-IMPORT";
pub const PICKLE_SUSPICIOUS: &str = "CODE-PICKLE-SUSPICIOUS";
pub const PICKLE_UNRESOLVED: &str = "CODE-PICKLE-UNRESOLVED";
pub const MODEL_INVALID: &str = "CODE-MODEL-INVALID";
pub const MODEL_INCOMPLETE: &str = "CODE-MODEL-SCAN-INCOMPLETE";
pub const ARCHIVE_UNSAFE: &str = "CODE-ARCHIVE-UNSAFE";
pub const KERAS_LAMBDA: &str = "CODE-KERAS-CODE";
pub const TF_OPS: &str = "CODE-TF-DANGEROUS-OP";
pub const EXTERNAL_DATA: &str = "CODE-MODEL-EXTERNAL-DATA";
pub const SAFETENSORS_INVALID: &str = "CODE-SAFETENSORS-INVALID";
pub const PICKLE_FORMAT: &str = "CODE-MODEL-PICKLE-FORMAT";

/// Checks evaluated whenever at least one model file was found.
pub const MODEL_CHECKS: &[&str] = &[
    PICKLE_CALL,
    PICKLE_IMPORT,
    PICKLE_SUSPICIOUS,
    PICKLE_UNRESOLVED,
    MODEL_INVALID,
    MODEL_INCOMPLETE,
    ARCHIVE_UNSAFE,
    KERAS_LAMBDA,
    TF_OPS,
    EXTERNAL_DATA,
    SAFETENSORS_INVALID,
    PICKLE_FORMAT,
];

const PICKLE_DOCS: &str = "https://docs.python.org/3/library/pickle.html#restricting-globals";
const SAFETENSORS: &str = "https://huggingface.co/docs/safetensors";

pub fn catalogue() -> Vec<Check> {
    vec![
        Check::new(
            PICKLE_CALL,
            "CODE-4",
            Severity::Critical,
            "Model file calls a dangerous function when loaded",
            "Do not load this file. Find out where it came from; if it should be a model, re-export the weights from a trusted source in safetensors format.",
            &[PICKLE_DOCS, SAFETENSORS],
        ),
        Check::new(
            PICKLE_IMPORT,
            "CODE-4",
            Severity::High,
            "Model file references a dangerous function",
            "Do not load this file with pickle, torch.load or joblib.load. Re-export the weights from a trusted source in safetensors format.",
            &[PICKLE_DOCS],
        ),
        Check::new(
            PICKLE_SUSPICIOUS,
            "CODE-4",
            Severity::Info,
            "Model file imports code outside the known-safe frameworks",
            "Review the imported names: unpickling runs them. If they are your own classes, prefer a format without code (safetensors, ONNX) or load with an allow-list (torch.load(weights_only=True)).",
            &[PICKLE_DOCS],
        ),
        Check::new(
            PICKLE_UNRESOLVED,
            "CODE-4",
            Severity::High,
            "Model file computes what it calls",
            "A pickle that builds the name of what it calls at load time (computed STACK_GLOBAL, EXT codes, calls on call results) hides its behaviour from scanners. Do not load it.",
            &[PICKLE_DOCS],
        ),
        Check::new(
            MODEL_INVALID,
            "CODE-4",
            Severity::Medium,
            "Model file is corrupt or not what it claims to be",
            "The file could not be parsed, so it was not verified. Replace it with a known-good copy and compare its SHA-256 with the publisher's.",
            &[],
        ),
        Check::new(
            MODEL_INCOMPLETE,
            "CODE-4",
            Severity::Medium,
            "Model file was only partly scanned",
            "A scan limit (opcodes, memo, nesting, archive size or ratio) was reached, so the rest of the file was not verified. Inspect the file or raise the limit.",
            &[],
        ),
        Check::new(
            ARCHIVE_UNSAFE,
            "CODE-4",
            Severity::High,
            "Model archive is malformed in a way loaders and scanners disagree on",
            "Zip-slip paths, duplicate members, bad checksums, data before the archive and extreme compression ratios let a file look different to a scanner than to the loader. Re-create the archive from trusted files.",
            &["https://pytorch.org/docs/stable/notes/serialization.html"],
        ),
        Check::new(
            KERAS_LAMBDA,
            "CODE-4",
            Severity::High,
            "Keras model contains code (Lambda layers or custom objects)",
            "Lambda layers carry Python code that runs when the model is loaded or called. Replace them with built-in or registered layers, and load with safe_mode=True.",
            &["https://keras.io/api/models/model_saving_apis/model_saving_and_loading/"],
        ),
        Check::new(
            TF_OPS,
            "CODE-4",
            Severity::High,
            "TensorFlow SavedModel uses file or Python operations",
            "ReadFile, WriteFile, MatchingFiles and PyFunc operations read or write the host's files or run Python when the model runs. Remove them from the serving graph.",
            &["https://www.tensorflow.org/guide/saved_model"],
        ),
        Check::new(
            EXTERNAL_DATA,
            "CODE-4",
            Severity::High,
            "Model references data outside its own folder",
            "External tensor data with an absolute path or `..` makes the loader read other files of the host. Keep external data next to the model with relative names.",
            &["https://onnx.ai/onnx/repo-docs/ExternalData.html"],
        ),
        Check::new(
            SAFETENSORS_INVALID,
            "CODE-4",
            Severity::High,
            "safetensors file is malformed",
            "The header or the tensor offsets are inconsistent; loaders may read out of bounds or disagree about the weights. Re-export the file.",
            &[SAFETENSORS],
        ),
        Check::new(
            PICKLE_FORMAT,
            "CODE-3",
            Severity::Medium,
            "Model is saved in a pickle-based format",
            "Convert the model to safetensors (torch: safetensors.torch.save_file(model.state_dict(), ...); others: ONNX or Keras without Lambda layers). Loading a pickle runs code, so it is only as safe as its origin.",
            &[SAFETENSORS],
        ),
    ]
}
