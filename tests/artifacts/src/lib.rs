include!(concat!(env!("OUT_DIR"), "/test_plugins.rs"));
