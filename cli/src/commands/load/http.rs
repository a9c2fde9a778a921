//! The service's address, and one HTTP/1.1 keep-alive connection to it (`Conn`), with the
//! helpers that read its answers.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

use super::{MAX_RESPONSE_BYTES, QUOTED_BODY_CHARS, REQUEST_TIMEOUT};
use crate::error::CliError;

/// A service on this machine: where to connect and what its URLs start with.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    /// `http://host:port`, as given.
    pub(super) origin: String,
    /// `host:port`, for the Host header.
    authority: String,
    /// The resolved loopback address.
    addr: SocketAddr,
    /// The path the service's routes sit under (`""` at the root).
    base_path: String,
}

impl Endpoint {
    /// Reads an `http://host:port[/base]` URL whose host resolves to loopback addresses only:
    /// the generator is for this machine's services, never a flood aimed at another host.
    pub(super) fn parse(url: &str) -> Result<Self, CliError> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            CliError::Usage(format!(
                "--url {url}: give the service's http:// URL on this machine"
            ))
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let addrs: Vec<SocketAddr> = authority
            .to_socket_addrs()
            .map_err(|e| CliError::Usage(format!("--url {url}: {e}")))?
            .collect();
        let addr = match addrs.first() {
            Some(a) if addrs.iter().all(|a| a.ip().is_loopback()) => *a,
            Some(_) => {
                return Err(CliError::Usage(format!(
                    "--url {url}: only services on this machine (a loopback address) can be loaded"
                )))
            }
            None => return Err(CliError::Usage(format!("--url {url}: no address"))),
        };
        Ok(Self {
            origin: format!("http://{authority}"),
            authority: authority.to_owned(),
            addr,
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// The path of a route of the service (`/requests` → `/base/requests`).
    pub(super) fn route(&self, route: &str) -> String {
        format!("{}{route}", self.base_path)
    }

    /// The path of a URL the service handed out, which must be on this same origin.
    pub(super) fn path_of(&self, url: &str) -> Result<String, CliError> {
        match url.strip_prefix(&self.origin) {
            Some(path) if path.starts_with('/') => Ok(path.to_owned()),
            _ => Err(CliError::Usage(format!(
                "the service names {url}, not a URL under {}: give --url as the service prints it",
                self.origin
            ))),
        }
    }
}

/// One keep-alive HTTP/1.1 connection, opened on first use and again after a failure.
pub(super) struct Conn {
    endpoint: Arc<Endpoint>,
    host: HeaderValue,
    sender: Option<http1::SendRequest<Full<Bytes>>>,
}

/// A request to send: method, path, body and its type, bearer token.
pub(super) struct Call<'a> {
    method: Method,
    path: &'a str,
    content_type: Option<&'static str>,
    accept: &'static str,
    bearer: Option<&'a str>,
    body: Bytes,
}

impl<'a> Call<'a> {
    pub(super) fn get(path: &'a str, accept: &'static str, bearer: Option<&'a str>) -> Self {
        Call {
            method: Method::GET,
            path,
            content_type: None,
            accept,
            bearer,
            body: Bytes::new(),
        }
    }

    pub(super) fn post(
        path: &'a str,
        content_type: &'static str,
        bearer: Option<&'a str>,
        body: impl Into<Bytes>,
    ) -> Self {
        Call {
            method: Method::POST,
            path,
            content_type: Some(content_type),
            accept: "application/json",
            bearer,
            body: body.into(),
        }
    }
}

impl Conn {
    pub(super) fn new(endpoint: Arc<Endpoint>) -> Result<Self, CliError> {
        let host = HeaderValue::from_str(&endpoint.authority)
            .map_err(|_| CliError::Usage(format!("--url: bad host {}", endpoint.authority)))?;
        Ok(Self {
            endpoint,
            host,
            sender: None,
        })
    }

    pub(super) async fn connect(&mut self) -> Result<&mut http1::SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            return self
                .sender
                .as_mut()
                .ok_or_else(|| "connection: none".to_owned());
        }
        self.sender = None;
        let stream = tokio::net::TcpStream::connect(self.endpoint.addr)
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            // Ends when the service or this side closes the connection.
            let _ = connection.await;
        });
        Ok(self.sender.insert(sender))
    }

    /// Sends `call` and reads the whole answer: its status and body, or why there is none (a
    /// short error kind: `connect: …`, `timeout`, …). A failed connection is dropped, so that the
    /// next call opens a new one.
    pub(super) async fn send(&mut self, call: Call<'_>) -> Result<(u16, Bytes), String> {
        let outcome = tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(call)).await;
        match outcome {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err("timeout".into())
            }
        }
    }

    pub(super) async fn exchange(&mut self, call: Call<'_>) -> Result<(u16, Bytes), String> {
        let host = self.host.clone();
        let mut request = Request::builder()
            .method(call.method)
            .uri(call.path)
            .header(HOST, host)
            .header(ACCEPT, call.accept);
        if let Some(t) = call.content_type {
            request = request.header(CONTENT_TYPE, t);
        }
        if let Some(token) = call.bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(call.body))
            .map_err(|e| format!("request: {e}"))?;
        let sender = self.connect().await?;
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// A preparation call: `Ok(body)` when the status is `expected`, else the error naming
    /// `what` with the status and the start of the body.
    pub(super) async fn expect(
        &mut self,
        what: &str,
        call: Call<'_>,
        expected: u16,
    ) -> Result<Bytes, CliError> {
        match self.send(call).await {
            Ok((status, body)) if status == expected => Ok(body),
            Ok((status, body)) => Err(CliError::ServiceCall {
                what: what.to_owned(),
                reason: format!("HTTP {status}: {}", quote(&body)),
            }),
            Err(reason) => Err(CliError::ServiceCall {
                what: what.to_owned(),
                reason,
            }),
        }
    }
}

/// The start of a body, for an error message.
fn quote(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(QUOTED_BODY_CHARS)
        .collect()
}

pub(super) fn json_of<T: serde::de::DeserializeOwned>(
    what: &str,
    body: &[u8],
) -> Result<T, CliError> {
    serde_json::from_slice(body).map_err(|e| CliError::ServiceCall {
        what: what.to_owned(),
        reason: format!("unexpected answer ({e}): {}", quote(body)),
    })
}

pub(super) fn refused(what: &str, reason: impl std::fmt::Display) -> CliError {
    CliError::ServiceCall {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}
