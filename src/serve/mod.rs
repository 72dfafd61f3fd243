//! `dealcoach serve`: the coach over HTTP — a JSON API for CRMs and a page for reps.
//!
//! Stateless: a request carries its deal, the answer depends only on the deal and the
//! playbooks, and nothing is written anywhere (a review's list is spilled to a private
//! temporary file, as the CLI does, and removed). Any number of copies can run behind a
//! load balancer.
//!
//! The answers are the CLI's own: `POST /v1/next` gives the bytes `next --format json`
//! prints, `/v1/explain` and `/v1/review` the JSON of `explain` and `review`, `/v1/map`
//! the SVG of `map`. Coaching a deal is CPU work: it runs on tokio's blocking threads, at
//! most one deal per core at a time ([`State::coach`]), so the async threads keep
//! accepting and answering while deals are evaluated.
//!
//! What is refused, and how, is [`routes`]'s business; the page is [`page`]; playbooks
//! that reload when their folder changes are [`live`].

mod live;
mod page;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tokio::sync::Semaphore;

pub use live::{Live, Loaded, CHECK_EVERY};

/// How long a request may take, body included, before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything `serve` is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen: the address `--addr` named, resolved.
    pub addr: SocketAddr,
    /// `--playbooks`: a folder to answer with (and to reload when it changes).
    pub playbooks: Option<PathBuf>,
    /// `--token`: what every `/v1` request must carry as `Authorization: Bearer …`.
    pub token: Option<String>,
    /// `--cors`: the one origin whose pages may call the API from a browser.
    pub cors: Option<String>,
    /// The input size cap (`DEALCOACH_MAX_INPUT_BYTES`): the largest request body.
    pub max_input_bytes: u64,
}

/// Why a server does not start.
#[derive(Debug)]
pub enum Refused {
    /// The options are unsafe or unusable: a usage error (exit 2).
    Options(String),
    /// The playbooks do not load.
    Playbooks(crate::diag::Diagnostics),
    /// The address cannot be listened on (in use, not ours).
    Listen(String),
}

impl Options {
    /// Refuses what would expose the coach: a non-loopback address without a token (a
    /// CRM's deals are confidential), an empty token, a CORS origin that is not one.
    pub fn check(&self) -> Result<(), Refused> {
        if let Some(token) = &self.token {
            if token.trim().is_empty() || token.chars().any(|c| c.is_control()) {
                return Err(Refused::Options(
                    "--token must be a non-empty word without control characters".to_owned(),
                ));
            }
        }
        if !self.addr.ip().is_loopback() && self.token.is_none() {
            return Err(Refused::Options(format!(
                "refusing to listen on {} without --token: any machine that reaches this address could read the deals sent to it; give --token (or DEALCOACH_TOKEN) and have clients send `Authorization: Bearer <token>`, or listen on 127.0.0.1",
                self.addr
            )));
        }
        if let Some(origin) = &self.cors {
            if origin == "*" || cors_origin(origin).is_none() {
                return Err(Refused::Options(format!(
                    "--cors `{origin}` is not an origin: give one scheme, host and optional port, like https://crm.example.com"
                )));
            }
        }
        Ok(())
    }
}

/// `https://crm.example.com[:port]`, as a header value; `None` when it is not one.
fn cors_origin(origin: &str) -> Option<HeaderValue> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if valid {
        HeaderValue::from_str(origin).ok()
    } else {
        None
    }
}

/// What every request shares: the playbooks in service and the server's settings.
pub struct State {
    pub live: Live,
    /// The SHA-256 of `--token`: requests' tokens are hashed and compared in constant
    /// time, so neither the token's bytes nor its length show in response times.
    token: Option<[u8; 32]>,
    pub max_input_bytes: u64,
    /// One permit per core: deals coached at once.
    cpu: Semaphore,
}

impl State {
    pub fn new(options: &Options) -> Result<State, Refused> {
        let live = Live::new(options.playbooks.clone()).map_err(Refused::Playbooks)?;
        Ok(State {
            live,
            token: options.token.as_deref().map(sha256),
            max_input_bytes: options.max_input_bytes,
            cpu: Semaphore::new(cores()),
        })
    }

    /// Whether `presented` is the server's token (always, when it has none).
    pub fn accepts(&self, presented: Option<&str>) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let Some(presented) = presented else {
            return false;
        };
        let actual = sha256(presented);
        let difference = expected
            .iter()
            .zip(actual.iter())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b));
        difference == 0
    }

    /// Runs `work` with the playbooks in service on a blocking thread, once a core is
    /// free for it. `None` when the work panicked (a bug, answered 500).
    pub async fn coach<T, F>(self: &Arc<Self>, work: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Loaded) -> T + Send + 'static,
    {
        let permit = self.cpu.acquire().await.ok()?;
        let state = Arc::clone(self);
        let outcome = tokio::task::spawn_blocking(move || {
            let loaded = state.live.get();
            work(&loaded)
        })
        .await;
        drop(permit);
        outcome.ok()
    }
}

impl State {
    /// Runs light `work` (a health check, the page) with the playbooks in service on a
    /// blocking thread, without waiting for a core: it must answer while deals queue.
    pub async fn light<T, F>(self: &Arc<Self>, work: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&State, &Loaded) -> T + Send + 'static,
    {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let loaded = state.live.get();
            work(&state, &loaded)
        })
        .await
        .ok()
    }
}

fn sha256(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The security headers of every answer: the page runs only its own script and style
/// (no inline code, nothing from elsewhere), is never framed, and nothing is sniffed as
/// another type than it is sent as.
fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// The application: routes, then the layers every request passes (outermost last):
/// body limit, timeout, errors as JSON, gzip, security headers, CORS.
pub fn app(state: Arc<State>, cors: Option<&str>) -> axum::Router {
    use tower_http::compression::CompressionLayer;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::set_header::SetResponseHeaderLayer;
    use tower_http::timeout::TimeoutLayer;

    let limit = usize::try_from(state.max_input_bytes).unwrap_or(usize::MAX);
    let mut app = routes::router(Arc::clone(&state))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response_with_state(
            Arc::clone(&state),
            routes::errors_as_json,
        ))
        .layer(CompressionLayer::new());
    for (name, value) in security_headers() {
        app = app.layer(SetResponseHeaderLayer::overriding(name, value));
    }
    if let Some(origin) = cors.and_then(cors_origin) {
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    app
}

/// Serves until SIGINT or SIGTERM. `listening` is called with the address bound (port 0
/// is a free port by then), before the first request is accepted.
pub fn run(options: &Options, listening: impl FnOnce(SocketAddr)) -> Result<(), Refused> {
    options.check()?;
    let state = Arc::new(State::new(options)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        // Coaching holds one blocking thread per core (the semaphore); the rest is for
        // the few short blocking calls (health checks, the page's words).
        .max_blocking_threads(cores() * 4 + 4)
        .enable_all()
        .build()
        .map_err(|error| Refused::Listen(format!("cannot start the server: {error}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|error| {
                Refused::Listen(format!("cannot listen on {}: {error}", options.addr))
            })?;
        let bound = listener
            .local_addr()
            .map_err(|error| Refused::Listen(format!("cannot listen: {error}")))?;
        listening(bound);
        axum::serve(listener, app(state, options.cors.as_deref()))
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|error| Refused::Listen(format!("the server stopped: {error}")))
    })
}

/// Resolves when the process is asked to stop (Ctrl-C, or SIGTERM from a supervisor).
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
