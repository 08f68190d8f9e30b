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

/// The emulator venv's Python (also runs the tests' other helper servers).
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("DECKHAND_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash emulator/install.sh` first (`bash scripts/test.sh` does)",
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

/// One HTTP/1.0 request to `addr` (`host:port`); returns the status and body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, _, body) = http_with_headers(addr, method, path, headers, body);
    (status, body)
}

/// Like [`http`], also returning the response headers (names lower-cased).
pub fn http_with_headers(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    write!(stream, "{head}\r\n{body}").expect("send");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the answer");
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, payload.to_owned())
}

impl Emulator {
    /// An ECS API call made outside deckhand (as someone in the console would).
    pub fn ecs(&self, access_key: &str, operation: &str, body: &Value) -> Value {
        self.aws_json(
            access_key,
            "ecs",
            &format!("AmazonEC2ContainerServiceV20141113.{operation}"),
            body,
        )
    }

    /// An Application Auto Scaling call made outside deckhand.
    pub fn autoscaling(&self, access_key: &str, operation: &str, body: &Value) -> Value {
        self.aws_json(
            access_key,
            "application-autoscaling",
            &format!("AnyScaleFrontendService.{operation}"),
            body,
        )
    }

    /// One DynamoDB call as access key `access_key`.
    pub fn dynamodb(&self, access_key: &str, operation: &str, body: &Value) -> Value {
        self.aws_json(
            access_key,
            "dynamodb",
            &format!("DynamoDB_20120810.{operation}"),
            body,
        )
    }

    /// One AWS JSON-protocol call, signed (as the emulator reads it) for `service`.
    fn aws_json(&self, access_key: &str, service: &str, target: &str, body: &Value) -> Value {
        let operation = target.rsplit('.').next().unwrap_or(target);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let (status, payload) = http(
            &self.addr,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", target),
                ("Authorization", &auth),
            ],
            &body.to_string(),
        );
        assert_eq!(status, 200, "{operation}: {payload}");
        serde_json::from_str(&payload).unwrap_or(Value::Null)
    }

    /// Add a task rule (`/_deckhand/task-rules`): how matching tasks run.
    pub fn task_rule(&self, rule: Value) -> Value {
        self.request("POST", "/_deckhand/task-rules", Some(&rule))
    }

    /// Add a fault (`/_deckhand/faults`): matching calls fail.
    pub fn fault(&self, fault: Value) -> Value {
        self.request("POST", "/_deckhand/faults", Some(&fault))
    }

    /// A request to the admin API; returns the JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.try_request(method, path, body)
            .unwrap_or_else(|(status, payload)| {
                panic!("{method} {path} failed: {status}\n{payload}")
            })
    }

    /// Like [`Emulator::request`]; a non-2xx answer is `Err((status, body))`.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, (u16, String)> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let (status, payload) = http(
            &self.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            &body,
        );
        if !(200..300).contains(&status) {
            return Err((status, payload));
        }
        Ok(if payload.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&payload).unwrap_or(Value::String(payload))
        })
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
