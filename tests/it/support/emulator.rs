//! One ECS emulator (moto + our plugin) per test binary, on a free port.
//!
//! Started on first use from the venv that `emulator/install.sh` creates; it
//! exits by itself when this test process does (`--parent-pid`). Tests share
//! it and stay apart by using their own access key (call logs and injected
//! faults are scoped by key) and their own resource names.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The running emulator.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    addr: String,
}

/// One logged ECS request.
#[derive(Debug, Clone)]
pub struct Call {
    /// Operation name, e.g. `DescribeServices`.
    pub operation: String,
    /// The request body.
    pub params: Value,
    /// HTTP status returned.
    pub status: u64,
}

impl Call {
    /// Does this operation change anything in ECS?
    pub fn is_mutating(&self) -> bool {
        !(self.operation.starts_with("Describe") || self.operation.starts_with("List"))
    }
}

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("DECKHAND_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash emulator/install.sh` first (or `bash .ci/run`)",
        python.display()
    );
    python
}

/// The emulator, started on first call.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/server.py");
        let mut child = Command::new(venv_python())
            .arg(server)
            .args([
                "--port",
                "0",
                "--parent-pid",
                &std::process::id().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the ECS emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("READY ") => break line[6..].trim().to_owned(),
                Some(Ok(_)) => continue,
                _ => panic!("the ECS emulator exited before it was ready"),
            }
        };
        // Keep draining stdout so the emulator never blocks on a full pipe, and
        // reap it if it exits (it exits by itself when this process does).
        std::thread::spawn(move || {
            for _ in lines {}
            let _ = child.wait();
        });
        let addr = url.trim_start_matches("http://").to_owned();
        Emulator { url, addr }
    })
}

impl Emulator {
    /// A request to the admin API; returns the JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.addr).expect("connect to the emulator");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("send to the emulator");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the emulator's answer");
        let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.0 2") || head.starts_with("HTTP/1.1 2"),
            "{method} {path} failed: {head}\n{payload}"
        );
        if payload.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(payload).unwrap_or(Value::String(payload.to_owned()))
        }
    }

    /// ECS requests made with `access_key`, in order.
    pub fn calls(&self, access_key: &str) -> Vec<Call> {
        let body = self.request(
            "GET",
            &format!("/_deckhand/calls?accessKey={access_key}"),
            None,
        );
        body["calls"]
            .as_array()
            .expect("calls array")
            .iter()
            .map(|c| Call {
                operation: c["operation"].as_str().unwrap_or_default().to_owned(),
                params: c["params"].clone(),
                status: c["status"].as_u64().unwrap_or_default(),
            })
            .collect()
    }
}
