//! Hostile test plugin: opens TCP and UDP sockets and resolves names. The
//! host must refuse it at load (it imports wasi:sockets); were it loaded,
//! the WASI context denies every address anyway.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::net::{TcpStream, ToSocketAddrs, UdpSocket};

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct NetEscape;

impl Plugin for NetEscape {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "net-escape".into(),
            name: "Network escape attempts".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: tries to reach the network.".into(),
            checks: vec![Check::new(
                "NET-ESCAPE",
                "CODE-1",
                Severity::Info,
                "network",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let port = ctx.config("port").unwrap_or("9");
        let tcp = TcpStream::connect(format!("127.0.0.1:{port}")).map(|_| "connected");
        let udp = UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.send_to(b"exfil", format!("127.0.0.1:{port}")))
            .map(|_| "sent");
        let dns = "localhost:80".to_socket_addrs().map(|_| "resolved");
        scan.finding(
            "NET-ESCAPE",
            format!("tcp: {tcp:?}; udp: {udp:?}; dns: {dns:?}"),
        );
        Ok(())
    }
}

aicomply_sdk::export_plugin!(NetEscape);
