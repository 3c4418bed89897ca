//! The HTTP seam. The core builds [`HttpRequest`]s and interprets [`HttpResponse`]s; an
//! [`HttpTransport`] moves the bytes. On phones the shell supplies one (OkHttp, URLSession: TLS,
//! proxies and certificates are the platform's business); [`StdHttpTransport`] is a small
//! pure-std HTTP/1.1 client for `http://` URLs, used by the simulator, the tests and the Kotlin
//! tests on the JVM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// One HTTP request. Header names are case-insensitive; the transport adds `Host`,
/// `Content-Length` and `Connection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One HTTP response (the body fully read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn new(method: &str, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: method.to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn json_body(mut self, body: Vec<u8>) -> HttpRequest {
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self.body = body;
        self
    }
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no HTTP answer. Every variant is worth retrying later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("connection failed: {0}")]
    Io(String),
    #[error("unsupported URL: {0}")]
    Url(String),
    #[error("malformed HTTP response: {0}")]
    Protocol(String),
}

/// Something that can execute an HTTP request. Blocking; called from the uploader's thread.
pub trait HttpTransport: Send + Sync {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// A minimal HTTP/1.1 client over `std::net::TcpStream` (`http://` only, one connection per
/// request, `Connection: close`).
#[derive(Debug, Clone)]
pub struct StdHttpTransport {
    pub connect_timeout: Duration,
    /// Limit on each read or write (a stalled link fails after this long without progress).
    pub io_timeout: Duration,
    pub max_response_bytes: usize,
}

impl Default for StdHttpTransport {
    fn default() -> Self {
        StdHttpTransport {
            connect_timeout: Duration::from_secs(15),
            io_timeout: Duration::from_secs(60),
            max_response_bytes: 80 << 20,
        }
    }
}

/// `http://host[:port]/path` split into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, TransportError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| TransportError::Url(format!("{url}: only http:// is supported here")))?;
        let (authority, target) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_owned()),
            None => (rest, "/".to_owned()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !p.contains(']') => (
                h.to_owned(),
                p.parse()
                    .map_err(|_| TransportError::Url(format!("{url}: bad port")))?,
            ),
            _ => (authority.to_owned(), 80),
        };
        if host.is_empty()
            || host.contains(['@', ' '])
            || (host.contains(':') && !host.starts_with('['))
        {
            return Err(TransportError::Url(format!("{url}: bad host")));
        }
        Ok(HttpUrl { host, port, target })
    }
}

fn io_err(e: std::io::Error) -> TransportError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            TransportError::Timeout(e.to_string())
        }
        _ => TransportError::Io(e.to_string()),
    }
}

impl StdHttpTransport {
    fn connect(&self, url: &HttpUrl) -> Result<TcpStream, TransportError> {
        let addrs = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|e| TransportError::Connect(format!("{}: {e}", url.host)))?;
        let mut last = TransportError::Connect(format!("{}: no address", url.host));
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(s) => return Ok(s),
                Err(e) => last = TransportError::Connect(format!("{addr}: {e}")),
            }
        }
        Err(last)
    }
}

impl HttpTransport for StdHttpTransport {
    fn execute(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = HttpUrl::parse(&req.url)?;
        let stream = self.connect(&url)?;
        stream
            .set_read_timeout(Some(self.io_timeout))
            .map_err(io_err)?;
        stream
            .set_write_timeout(Some(self.io_timeout))
            .map_err(io_err)?;
        let _ = stream.set_nodelay(true);
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}",
            req.method, url.target, url.host
        );
        if url.port != 80 {
            head.push_str(&format!(":{}", url.port));
        }
        head.push_str("\r\nConnection: close\r\n");
        for (k, v) in &req.headers {
            if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
                return Err(TransportError::Url(format!("bad header {k}")));
            }
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
        }
        head.push_str("\r\n");
        let mut writer = &stream;
        let sent = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&req.body))
            .and_then(|()| writer.flush());
        // A server may answer before it has read the whole body (a refusal: 403, 413, 415) and
        // close: that answer, when it can still be read, is the result, not the broken pipe
        // (which would be retried forever).
        let answer = read_response(
            BufReader::new(&stream),
            req.method == "HEAD",
            self.max_response_bytes,
        );
        match sent {
            Ok(()) => answer,
            Err(e) => answer.map_err(|_| io_err(e)),
        }
    }
}

fn read_line<R: BufRead>(r: &mut R, what: &str) -> Result<String, TransportError> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(16 * 1024)
        .read_until(b'\n', &mut line)
        .map_err(io_err)?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(TransportError::Io(format!(
            "connection closed in the {what}"
        )));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| TransportError::Protocol(format!("{what} is not UTF-8")))
}

/// Read one HTTP/1.1 response (status, headers, body by length, chunks or close).
pub fn read_response<R: BufRead>(
    mut r: R,
    head_request: bool,
    max_body: usize,
) -> Result<HttpResponse, TransportError> {
    let (status, headers) = loop {
        let status_line = read_line(&mut r, "status line")?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(TransportError::Protocol(format!(
                "status line {status_line:?}"
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| TransportError::Protocol(format!("status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = read_line(&mut r, "headers")?;
            if line.is_empty() {
                break;
            }
            if headers.len() > 200 {
                return Err(TransportError::Protocol("too many headers".into()));
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        if (100..200).contains(&status) {
            continue;
        }
        break (status, headers);
    };
    let resp = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    if head_request || status == 204 || status == 304 {
        return Ok(resp);
    }
    let chunked = resp
        .header("Transfer-Encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(&mut r, max_body)?
    } else if let Some(len) = resp.header("Content-Length") {
        let len: usize = len
            .parse()
            .map_err(|_| TransportError::Protocol("bad Content-Length".into()))?;
        if len > max_body {
            return Err(TransportError::Protocol(format!(
                "response of {len} bytes is too large"
            )));
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).map_err(io_err)?;
        body
    } else {
        let mut body = Vec::new();
        r.take(max_body as u64 + 1)
            .read_to_end(&mut body)
            .map_err(io_err)?;
        if body.len() > max_body {
            return Err(TransportError::Protocol("response too large".into()));
        }
        body
    };
    Ok(HttpResponse { body, ..resp })
}

fn read_chunked<R: BufRead>(r: &mut R, max_body: usize) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r, "chunk size")?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| TransportError::Protocol(format!("chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the blank line.
            while !read_line(r, "trailer")?.is_empty() {}
            return Ok(body);
        }
        if body.len().checked_add(size).is_none_or(|n| n > max_body) {
            return Err(TransportError::Protocol("response too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..]).map_err(io_err)?;
        read_line(r, "chunk end")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/api/v1/keys?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("127.0.0.1", 8080, "/api/v1/keys?x=1")
        );
        assert_eq!(HttpUrl::parse("http://example.org").unwrap().target, "/");
        assert!(HttpUrl::parse("https://example.org/").is_err());
        assert!(HttpUrl::parse("http://:80/").is_err());
    }

    #[test]
    fn responses_by_length_chunks_and_close() {
        let r = read_response(
            &b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX: y\r\n\r\nok"[..],
            false,
            100,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.header("x")),
            (201, &b"ok"[..], Some("y"))
        );
        let r = read_response(
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n"[..],
            false,
            100,
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
        let r = read_response(&b"HTTP/1.1 200 OK\r\n\r\nuntil close"[..], false, 100).unwrap();
        assert_eq!(r.body, b"until close");
        let r = read_response(&b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nUpload-Offset: 5\r\n\r\n"[..], false, 100).unwrap();
        assert_eq!((r.status, r.header("upload-offset")), (204, Some("5")));
        assert!(
            read_response(
                &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"[..],
                false,
                100
            )
            .is_err()
        );
        assert!(read_response(&b"garbage\r\n\r\n"[..], false, 100).is_err());
        // A chunk size that would overflow the body's length is refused, not a panic.
        let r = read_response(
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nffffffffffffffff\r\nx"[..],
            false,
            100,
        );
        assert!(matches!(r, Err(TransportError::Protocol(_))), "{r:?}");
    }

    /// A server that refuses a request from its head and stops reading the body: the client
    /// gets the refusal (a permanent answer), not the write's failure (which it would retry).
    #[test]
    fn an_answer_sent_before_the_body_is_read_is_the_result() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                s.read_exact(&mut byte).unwrap();
                head.push(byte[0]);
            }
            s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
                .unwrap();
            // Never reads the body; holds the connection until the client has given up writing.
            std::thread::sleep(Duration::from_secs(3));
        });
        let transport = StdHttpTransport {
            io_timeout: Duration::from_millis(500),
            ..StdHttpTransport::default()
        };
        let mut req = HttpRequest::new("PATCH", format!("http://127.0.0.1:{port}/u/1"));
        req.body = vec![0; 32 << 20];
        let r = transport.execute(req).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (403, &b"no"[..]));
        server.join().unwrap();
    }
}
