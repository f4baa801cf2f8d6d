#!/usr/bin/env python3
"""Write the "Model-scanner bypasses" section of BENCHMARKS.md: each class
of bypass from the public advisories of picklescan, modelscan, fickling and
modelaudit, and the corpus files (tests/fixtures/models) that cover it.

    python3 tests/bench/bypass_classes.py

Every file named must be in the corpus's expected*.json as malicious (the
corpus tests, native and through the sandbox, assert each one's check and
severity), so the table cannot name a test that does not exist. Gadget
files are listed from expected-bypasses.json with their advisory.
"""

import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fixtures", "models")

# (class, advisories or sources, corpus files)
CLASSES = [
    ("Standard-library helper that spawns a process",
     "GHSA-g38g-8gr9-h9xp, GHSA-5hwf-rc88-82xm, GHSA-q77w-mwjj-7mqx, GHSA-f7qq-56ww-84cr, GHSA-xp4f-hrf8-rxw7, GHSA-655q-fx9r-782v, GHSA-vqmv-47xg-9wpr, GHSA-r7v6-mfhq-g3m2, GHSA-m6fh-58r7-x697, GHSA-5cxw-w2xg-2m8h",
     ["malicious/asyncio_subprocess_transport_p4.pkl", "malicious/subprocess_check_output_p2.pkl", "malicious/newobj_popen_p2.pkl"]),
    ("Standard-library helper that evaluates or executes a string",
     "GHSA-5qwp-399c-mjwf, GHSA-g344-hcph-8vgg, GHSA-x696-vm39-cp64, GHSA-6vqj-c2q5-j97w, GHSA-7wx9-6375-f5wh, GHSA-9w88-8rmg-7g2p, GHSA-49gj-c84q-6qm9, GHSA-p523-jq9w-64x9, GHSA-cj3c-v495-4xqh, GHSA-fqq6-7vqf-w3fg, GHSA-pc6j-px3p-rrj4, idlelib (8 advisories), GHSA-p9w7-82w4-7q8m, GHSA-wfq2-52f7-7qvj, GHSA-6ggj-6f2q-f7mx, CVE-2025-71351, CVE-2025-71355",
     ["malicious/builtins_eval_p2.pkl", "malicious/runpy_run_path_p3.pkl", "malicious/numpy_testing_runstring_p2.pkl"]),
    ("PyTorch internal that evaluates a string or runs code",
     "GHSA-4r9r-ch6f-vxmx, GHSA-4whj-rm5r-c2v8, GHSA-86cj-95qr-2p4f, GHSA-f4x7-rfwp-v3xw, GHSA-vr7h-p6mm-wpmh, GHSA-f745-w6jp-hpxx, GHSA-jhph-76pp-mggw",
     ["malicious/torch_collect_env_run_p2.pkl", "malicious/frameworks/torch_transformer_encoder_execwrapper.pt"]),
    ("numpy.f2py evaluation helpers",
     "GHSA-r8g5-cgf2-4m4m, GHSA-rrxm-2pvv-m66x, GHSA-3329-ghmp-jmv5, GHSA-cffc-mxrf-mhh4, GHSA-6556-fwc2-fg2p", []),
    ("A second deserializer inside the pickle",
     "GHSA-h3qp-7fh3-f8h4, GHSA-vv6j-3g6g-2pvj, GHSA-f54q-57x4-jg88, GHSA-565g-hwwr-4pp3, GHSA-9m3x-qqw2-h32h, modelaudit #626",
     ["malicious/nested_pickle_loads_p3.pkl", "malicious/nested_twice_p3.pkl", "malicious/nested_torch_load_bytesio_p3.pkl", "malicious/marshal_function_p2.pkl", "malicious/joblib_object_array.joblib"]),
    ("Trampoline to any callable (getattr, operator, resolvers, importlib)",
     "GHSA-84r2-jw7c-4r5q, GHSA-955r-x9j8-7rhh, GHSA-46h3-79wf-xr6c, GHSA-vvpj-8cmc-gx39, GHSA-5hvc-6wx8-mvv4, GHSA-h4rm-mm56-xf63, GHSA-q5qq-mvfm-j35x",
     ["malicious/getattr_import_p2.pkl", "malicious/operator_methodcaller_p2.pkl", "malicious/operator_attrgetter_p4.pkl", "malicious/functools_partial_p2.pkl", "malicious/importlib_import_module_p4.pkl", "malicious/pkgutil_resolve_name_p4.pkl"]),
    ("Foreign-function interface", "GHSA-4675-36f9-wf6r", []),
    ("File, network and logging primitives",
     "GHSA-m273-6v24-x4m4, GHSA-9726-w42j-3qjr, GHSA-m7j5-r2p5-c39r, GHSA-mhc9-48gj-9gp3, GHSA-r48f-3986-4f9c, GHSA-mxhj-88fx-4pcv",
     ["malicious/socket_connection_p2.pkl", "malicious/webbrowser_open_p0.pkl", "malicious/shutil_rmtree_p4.pkl"]),
    ("Any callable outside the safe set (the allow-list closes the class)",
     "picklescan 'Suspicious' globals (1.0.5 --strict), modelaudit #518",
     ["malicious/bypass/unknown_function_p2.pkl", "malicious/bypass/unknown_class_setstate_p4.pkl", "malicious/bypass/sklearn_function_p2.pkl"]),
    ("Dotted names: submodules, parents, attributes through a harmless module",
     "GHSA-f7qq-56ww-84cr, GHSA-5j3x-jp52-966f, fickling eb299b4",
     ["malicious/qualname_tempfile_os_p4.pkl", "malicious/bypass/gadget_pathlib_os_system.pkl", "malicious/asyncio_subprocess_transport_p4.pkl"]),
    ("Zip general-purpose flags (encryption 0x1, 0x20, 0x40)",
     "CVE-2025-1945",
     ["malicious/bypass/torch_zip_encryption_flag.pt", "malicious/bypass/torch_zip_encryption_flag_deflated.pt", "malicious/bypass/torch_zip_flag_0x20.pt", "malicious/bypass/torch_zip_flag_0x40.pt"]),
    ("Zip local header names the member otherwise", "GHSA-7q5r-7gvp-wc82 (CVE-2025-1944)",
     ["malicious/bypass/torch_zip_local_name_mismatch.pt"]),
    ("Zip bad CRC", "GHSA-mjqp-26hc-grxg (CVE-2025-10156)", ["malicious/torch_zip_bad_crc.pt"]),
    ("Zip64 end records (every torch.save file)", "issue #15",
     ["malicious/frameworks/torch_linear_state_dict_prefix_system.pt", "malicious/frameworks/torch_training_checkpoint_nested_reduce.pth"]),
    ("Extension routing and content sniffing",
     "GHSA-769v-p64c-89pr (CVE-2025-1889), GHSA-jgw4-cr84-mqxg (CVE-2025-10155), modelaudit #605/#624",
     ["malicious/bypass/pickle_named_txt_in.zip", "malicious/bypass/weights_p1.bin", "malicious/bypass/model_p0.dat", "malicious/bypass/zlib_like_p0.bin", "malicious/bypass/gguf_magic_pickle.gguf", "malicious/bypass/ustar_in_string_p0.bin", "malicious/named_like_safetensors.safetensors", "malicious/named_like_json.json"]),
    ("Tar, compressed and nested containers", "nullifAI (ReversingLabs, 2025)",
     ["malicious/bypass/pickle_in.tar", "malicious/bypass/pickle_in.tar.gz", "malicious/bypass/pickle_in.tar.bz2", "malicious/bypass/pickle_in.tar.xz", "malicious/bypass/torch_zip_in.tgz", "malicious/bypass/model.pt.gz", "malicious/bypass/tgz_in_zip.zip", "malicious/nested_zip_in_zip.zip"]),
    ("7z container", "nullifAI (ReversingLabs, 2025)",
     ["malicious/bypass/pickle_in.7z", "malicious/bypass/torch_zip_in.7z"]),
    ("Legacy PyTorch stacked pickles", "GHSA-97f8-7cmv-76j2 (CVE-2026-53875), public PoC against picklescan 1.0.5 / modelscan 0.8.8",
     ["malicious/bypass/torch_legacy_magic_by_eval.bin", "malicious/bypass/stacked_six_ints_then_payload.bin", "malicious/torch_legacy_fourth_pickle.pt", "malicious/stacked_second_pickle.pkl"]),
    ("A call that runs before the damage that stops a parser", "nullifAI, modelaudit #625",
     ["malicious/bypass/broken_after_call_p0.pkl", "malicious/bypass/memo_miss_after_call_p4.pkl"]),
    ("STACK_GLOBAL operands and memo tricks",
     "GHSA-9gvj-pp9x-gcfr (CVE-2025-71325), picklescan d3273f4 and ad6efbf, modelaudit #518",
     ["malicious/bypass/stack_global_string_operands.pkl", "malicious/bypass/memo_out_of_order_p0.pkl", "malicious/stack_global_from_memo_p4.pkl", "malicious/memo_miss_stack_global_p4.pkl"]),
    ("FRAME: operands past a frame's end, nested and mis-sized frames", "python/cpython#154848, fickling 99464b5",
     ["malicious/bypass/frame_operand_past_end_file_read_p5.pkl", "malicious/bypass/frame_operand_past_end_in_torch_zip.pt", "malicious/bypass/frame_opcode_straddles_end_p4.pkl", "malicious/bypass/frame_nested_p4.pkl", "malicious/bypass/frame_longer_than_file_p4.pkl", "malicious/bypass/frame_zero_length_p5.pkl"]),
    ("Calling opcodes other than REDUCE (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT, BUILD)",
     "GHSA-mxhj-88fx-4pcv, picklescan 40001cd, modelaudit #581/#623",
     ["malicious/inst_opcode_p0.pkl", "malicious/obj_opcode_p1.pkl", "malicious/newobj_ex_popen_p4.pkl", "malicious/ext_code_p2.pkl", "malicious/build_on_global_p2.pkl", "malicious/bypass/gadget_smtplib_SMTP.pkl"]),
    ("Keras Lambda layers and custom modules (.h5, .keras)", "CVE-2024-3660, CVE-2025-1550, CVE-2025-9905",
     ["malicious/keras_lambda.h5", "malicious/keras_lambda.keras", "malicious/keras_nested_lambda.keras", "malicious/keras_custom_module.keras"]),
]


def main():
    expected = {}
    for path in sorted(glob.glob(os.path.join(CORPUS, "expected*.json"))):
        expected.update(json.load(open(path)))
    missing = [f for _, _, files in CLASSES for f in files if expected.get(f, {}).get("verdict") != "malicious"]
    if missing:
        sys.exit(f"not malicious files of the corpus: {missing}")
    gadgets = {}
    for rel, e in expected.items():
        if "advisory" in e:
            gadgets.setdefault(e["advisory"], []).append(rel)
    lines = [
        "## Model-scanner bypasses",
        "",
        "Each class of bypass in the public advisories of picklescan, modelscan, fickling and modelaudit (read in",
        "their security advisories, changelogs and regression tests), and the corpus files that cover it. Every",
        "file is asserted by the corpus tests (`corpus_verdicts` natively, `corpus_verdicts_through_the_sandboxed_plugin`",
        "through the host) with its check and severity. Reproduce the table with:",
        "",
        "    python3 tests/bench/bypass_classes.py",
        "",
        "| class | advisories | corpus files (tests/fixtures/models) |",
        "|---|---|---|",
    ]
    for name, advisories, files in CLASSES:
        shown = ", ".join(f"`{f}`" for f in files) or "the gadget files below"
        lines.append(f"| {name} | {advisories} | {shown} |")
    lines += [
        "",
        f"Gadgets named by their advisory ({sum(len(v) for v in gadgets.values())} files, generated by",
        "`tests/fixtures/models/bypasses.py`; each must be a critical CODE-PICKLE-DANGEROUS-CALL whose message and",
        "evidence name the advisory):",
        "",
        "| advisory | corpus files |",
        "|---|---|",
    ]
    for advisory in sorted(gadgets):
        files = ", ".join(f"`{os.path.basename(f)}`" for f in sorted(gadgets[advisory]))
        lines.append(f"| [{advisory}](https://github.com/advisories/{advisory}) | {files} |")
    write_section(os.path.join(ROOT, "BENCHMARKS.md"), "model-bypasses", "\n".join(lines))


if __name__ == "__main__":
    main()
