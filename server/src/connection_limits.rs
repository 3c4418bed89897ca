//! A cap on the connections one client address holds open at once
//! (`limits.connections_per_client`), so one host cannot take all the server's sockets with slow
//! or idle connections. Connections are counted when accepted ([`ConnectionCounts::on_connect`],
//! from `HttpServer::on_connect`) and uncounted when closed; a request on a connection past the
//! cap is answered 429 `too-many-connections` with `Retry-After` and the connection closed
//! ([`refuse_over_cap`]).
//!
//! The address is the TCP peer's. `X-Forwarded-For` and `Forwarded` are never read: any client
//! can write them. Behind a reverse proxy every client has the proxy's address, so the cap must be
//! off there (0) and enforced by the proxy. This module never reads a request's body.

use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, http::ConnectionType};

use crate::error::{ApiError, Problem};

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECS: &str = "5";

/// Open connections per client address, shared by every worker.
#[derive(Debug, Default)]
pub struct ConnectionCounts {
    cap: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// Held in a connection's data while it is open: its place in the count.
struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    ip: IpAddr,
    over_cap: bool,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.open.lock()
            && let Some(n) = open.get_mut(&self.ip)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl ConnectionCounts {
    /// Counts for a cap of `cap` connections per address (0: no cap, nothing counted).
    pub fn new(cap: u32) -> Arc<Self> {
        Arc::new(Self {
            cap,
            open: Mutex::default(),
        })
    }

    /// Count a new connection (`HttpServer::on_connect`).
    pub fn on_connect(self: &Arc<Self>, connection: &dyn Any, data: &mut Extensions) {
        if self.cap == 0 {
            return;
        }
        let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else {
            return;
        };
        let ip = peer.ip().to_canonical();
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let n = open.entry(ip).or_insert(0);
        *n += 1;
        let over_cap = *n > self.cap;
        drop(open);
        if over_cap {
            log::warn!(
                "connection from {ip} over the cap of {} per client",
                self.cap
            );
        }
        data.insert(ConnectionSlot {
            counts: self.clone(),
            ip,
            over_cap,
        });
    }
}

/// Middleware: a request on a connection past its address's cap gets 429 and the connection is
/// closed; any other goes on.
pub async fn refuse_over_cap<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let over_cap = req
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| slot.over_cap);
    if !over_cap {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let mut response = ApiError::new(
        Problem::TooManyConnections,
        "this address has too many open connections; close some or retry later",
    )
    .error_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(req.into_response(response).map_into_right_body())
}
