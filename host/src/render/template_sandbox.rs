//! Custom templates render in a child process of aicomply itself, bounded
//! from outside: an address-space limit (a template that doubles a string
//! until it is gigabytes long is stopped by the kernel, not by the
//! machine running out of memory), a CPU-time limit and a wall-clock limit,
//! plus, inside, the template engine's fuel (a loop that never ends runs
//! out of it) and a cap on the bytes it writes. The child gets the template
//! and the report on standard input and nothing else: no environment, no
//! arguments but the mode, no files.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Address space of the child: the binary, the report and the page.
pub const MEMORY_BYTES: u64 = 1 << 30;
/// CPU seconds, and the wall-clock limit a little above it.
pub const CPU_SECONDS: u64 = 30;
const WALL: Duration = Duration::from_secs(CPU_SECONDS + 10);
/// Engine instructions: the built-in HTML page of 10,000 findings takes
/// well under 20 million; a loop that never ends stops here in seconds.
pub const FUEL: u64 = 50_000_000;
/// Bytes a rendered page may have.
pub const OUTPUT_BYTES: usize = 256 << 20;
/// The hidden subcommand the child runs.
pub const CHILD_COMMAND: &str = "__render-template";

#[derive(Serialize)]
struct Job<'a> {
    name: &'a str,
    source: &'a str,
    context: &'a serde_json::Value,
}

/// A [`Job`] as the child reads it.
#[derive(Deserialize)]
struct OwnedJob {
    name: String,
    source: String,
    context: serde_json::Value,
}

/// Render `source` (named `name`) with `context` in the sandbox.
pub fn render(name: &str, source: &str, context: &serde_json::Value) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| {
        format!("template {name}: cannot find the aicomply binary to render it: {e}")
    })?;
    let input = serde_json::to_vec(&Job {
        name,
        source,
        context,
    })
    .map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command
        .arg(CHILD_COMMAND)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| format!("template {name}: cannot start the renderer: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let read = |pipe: Box<dyn Read + Send>, cap: usize| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.take(cap as u64 + 1).read_to_end(&mut buf);
            buf
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped")), OUTPUT_BYTES);
    let err = read(Box::new(child.stderr.take().expect("piped")), 64 << 10);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > WALL => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("template {name}: {e}")),
        }
    };
    let _ = writer.join();
    let out = out.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err.join().unwrap_or_default())
        .trim()
        .to_string();
    let Some(status) = status else {
        return Err(format!(
            "template {name}: still rendering after {} s; stopped",
            WALL.as_secs()
        ));
    };
    if status.success() {
        if out.len() > OUTPUT_BYTES {
            return Err(format!(
                "template {name}: the page is over {} MiB; not written",
                OUTPUT_BYTES >> 20
            ));
        }
        return String::from_utf8(out).map_err(|_| format!("template {name}: output is not UTF-8"));
    }
    use std::os::unix::process::ExitStatusExt;
    Err(match status.signal() {
        Some(libc::SIGXCPU) | Some(libc::SIGKILL) => {
            format!("template {name}: used more than {CPU_SECONDS} s of CPU time; stopped")
        }
        Some(libc::SIGABRT) | Some(libc::SIGSEGV)
            if err.contains("memory allocation") || err.is_empty() =>
        {
            format!(
                "template {name}: used more than {} MiB of memory; stopped",
                MEMORY_BYTES >> 20
            )
        }
        Some(sig) => format!("template {name}: the renderer died (signal {sig}): {err}"),
        None if err.is_empty() => format!("template {name}: the renderer failed ({status})"),
        None => err,
    })
}

/// Apply the address-space and CPU limits in the child before it starts.
fn limit(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only
    // calls setrlimit, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            for (resource, value) in [
                (libc::RLIMIT_AS, MEMORY_BYTES),
                (libc::RLIMIT_CPU, CPU_SECONDS),
                (libc::RLIMIT_CORE, 0),
            ] {
                let l = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// A writer that fails past the output cap, ending the render.
struct Capped<W> {
    inner: W,
    written: usize,
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len();
        if self.written > OUTPUT_BYTES {
            return Err(std::io::Error::other(format!(
                "the page is over {} MiB",
                OUTPUT_BYTES >> 20
            )));
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The child: read the job, render it, write the page. The exit code is 0
/// on success; errors go to standard error.
pub fn child_main() -> i32 {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("cannot read the job: {e}");
        return 1;
    }
    let job: OwnedJob = match serde_json::from_slice(&input) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("the job is not valid: {e}");
            return 1;
        }
    };
    let mut env = super::environment();
    env.set_fuel(Some(FUEL));
    if let Err(e) = env.add_template_owned(job.name.clone(), job.source) {
        eprintln!("{}", super::template_error(&e));
        return 1;
    }
    let template = env.get_template(&job.name).expect("just added");
    let stdout = std::io::stdout().lock();
    let mut out = Capped {
        inner: std::io::BufWriter::new(stdout),
        written: 0,
    };
    let rendered =
        template.render_captured_to(minijinja::Value::from_serialize(&job.context), &mut out);
    match rendered.map(|_| out.flush()) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            eprintln!("template {}: {e}", job.name);
            1
        }
        Err(e) => {
            let mut msg = super::template_error(&e);
            if e.kind() == minijinja::ErrorKind::OutOfFuel {
                msg.push_str(&format!(
                    " (a custom template may execute {FUEL} instructions; a loop that does not end stops here)"
                ));
            }
            eprintln!("{msg}");
            1
        }
    }
}
