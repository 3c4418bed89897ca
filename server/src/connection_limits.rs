//! A cap on the connections one client address holds open at once
//! (`limits.connections_per_client`), so one host cannot take all the server's sockets with slow
//! or idle connections. Connections are counted when accepted ([`ConnectionCounts::on_connect`],
//! from `HttpServer::on_connect`) and uncounted when closed; a request on a connection past the
//! cap is answered 429 `too-many-connections` with `Retry-After` and the connection closed
//! ([`refuse_over_cap`]).
//!
//! The address is the TCP peer's ([`client_key`]: an IPv4 address in full, an IPv6 one by its
//! /64, the block a single host or subscriber gets, an IPv4-mapped IPv6 one as IPv4).
//! `X-Forwarded-For` and `Forwarded` are never read: any client can write them. Behind a reverse
//! proxy every client has the proxy's address, so the cap must be off there (0) and enforced by
//! the proxy. This module never reads a request's body.
//!
//! A connection past the cap counts in `tallyseal_connections_refused_total`; the log names an
//! address at most once a minute ([`RefusalLog`]), so a client looping `connect()` cannot fill it.

use std::any::Any;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, http::ConnectionType};

use crate::error::{ApiError, Problem};

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECS: &str = "5";

/// How often the log may name one refused client.
const LOG_EVERY: Duration = Duration::from_secs(60);
/// Most clients [`RefusalLog`] remembers; past it (that many clients refused within a minute),
/// further refusals are counted but not logged until entries age out.
const LOG_REMEMBERED: usize = 4096;

/// What the cap counts a peer as: an IPv4 address in full (an IPv4-mapped IPv6 address as its
/// IPv4 address), an IPv6 address by its /64 prefix (one host commonly holds a whole /64, and
/// can pick a new address in it for each connection).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

/// When each refused client was last logged: at most once per [`LOG_EVERY`] per client, and at
/// most [`LOG_REMEMBERED`] clients remembered.
#[derive(Debug, Default)]
pub struct RefusalLog {
    last: HashMap<IpAddr, Instant>,
}

impl RefusalLog {
    /// Whether a refusal of `client` at `now` is to be logged (and if so, remember it).
    pub fn should_log(&mut self, client: IpAddr, now: Instant) -> bool {
        let recent = |at: &Instant| now.saturating_duration_since(*at) < LOG_EVERY;
        if self.last.get(&client).is_some_and(recent) {
            return false;
        }
        if !self.last.contains_key(&client) && self.last.len() >= LOG_REMEMBERED {
            self.last.retain(|_, at| recent(at));
            if self.last.len() >= LOG_REMEMBERED {
                return false;
            }
        }
        self.last.insert(client, now);
        true
    }
}

/// Open connections per client ([`client_key`]), shared by every worker.
#[derive(Debug, Default)]
pub struct ConnectionCounts {
    cap: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
    refusals: Mutex<RefusalLog>,
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
            refusals: Mutex::default(),
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
        let ip = client_key(peer.ip());
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let n = open.entry(ip).or_insert(0);
        *n += 1;
        let over_cap = *n > self.cap;
        drop(open);
        if over_cap {
            crate::metrics::connections::refused();
            let log = self
                .refusals
                .lock()
                .is_ok_and(|mut l| l.should_log(ip, Instant::now()));
            if log {
                let client = match ip {
                    IpAddr::V4(_) => ip.to_string(),
                    IpAddr::V6(_) => format!("{ip}/64"),
                };
                log::warn!(
                    "connections from {client} over the cap of {} per client (refused; logged \
                     at most once a minute per client, all counted in \
                     tallyseal_connections_refused_total)",
                    self.cap
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn clients_are_ipv4_addresses_and_ipv6_slash_64s() {
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_ne!(client_key(ip("203.0.113.7")), client_key(ip("203.0.113.8")));
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(ip("::1")), ip("::"));
    }

    #[test]
    fn a_client_is_logged_at_most_once_a_minute() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        let a = ip("203.0.113.7");
        let b = ip("203.0.113.8");
        assert!(log.should_log(a, t0));
        for s in 1..60 {
            assert!(!log.should_log(a, t0 + Duration::from_secs(s)));
        }
        assert!(log.should_log(b, t0 + Duration::from_secs(1)));
        assert!(log.should_log(a, t0 + Duration::from_secs(60)));
        assert!(!log.should_log(a, t0 + Duration::from_secs(61)));
    }

    #[test]
    fn the_refusal_log_remembers_a_bounded_number_of_clients() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        let client = |n: usize| IpAddr::V4(std::net::Ipv4Addr::from(n as u32));
        for n in 0..LOG_REMEMBERED {
            assert!(log.should_log(client(n), t0));
        }
        // Full of clients logged within the minute: more are counted, not logged, not kept.
        for n in LOG_REMEMBERED..LOG_REMEMBERED * 3 {
            assert!(!log.should_log(client(n), t0 + Duration::from_secs(1)));
        }
        assert_eq!(log.last.len(), LOG_REMEMBERED);
        // A minute on, the old entries make room.
        assert!(log.should_log(client(LOG_REMEMBERED * 5), t0 + LOG_EVERY));
        assert_eq!(log.last.len(), 1);
    }
}
