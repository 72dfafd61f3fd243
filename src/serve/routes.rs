//! The routes, and how each refuses what it cannot use.
//!
//! | route | answers |
//! |---|---|
//! | `GET /healthz` | `{status, version, playbooks: {source, digest}}`, and `reload_error` when the folder's last edit does not load (`status: degraded`) |
//! | `POST /v1/next?lang=&top=` | the JSON `next --format json` prints |
//! | `POST /v1/explain?rule=&lang=` | the JSON `explain --format json` prints |
//! | `POST /v1/review?lang=&top=&account=&min_risk=&concept=` | the JSON `review --format json` prints for a list file |
//! | `POST /v1/map?lang=` | the SVG `map` prints |
//! | `GET /v1/playbooks` | the rules: id, concept, kind, file, line |
//!
//! A deal that cannot be read is 422 with `{errors: [{line, column, message}]}`, located
//! as the CLI locates it; a body that is not UTF-8 is 400; a language the playbooks do
//! not speak is 400 naming those they do; a body over the input cap is 413; without the
//! token (when the server has one) 401. Every error is that JSON shape, and none carries
//! a path of the server or a Rust debug dump: internal failures are a bare 500.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, Request, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::page;
use super::{Loaded, State};
use crate::coach::coach;
use crate::diag::{did_you_mean, Diagnostic};
use crate::playbook::{Lang, Playbook, RuleKind};
use crate::present::Words;

pub fn router(state: Arc<State>) -> Router {
    let api = Router::new()
        .route("/next", post(next))
        .route("/explain", post(explain))
        .route("/review", post(review))
        .route("/map", post(map))
        .route("/playbooks", get(playbooks))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            require_token,
        ));
    Router::new()
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::script))
        .route("/assets/app.css", get(page::style))
        .route("/assets/example.yaml", get(page::example))
        .route("/favicon.svg", get(page::icon))
        .route("/words", get(page::words))
        .route("/healthz", get(healthz))
        .nest("/v1", api)
        .fallback(not_found)
        .with_state(state)
}

// ---------------------------------------------------------------------------------------
// Errors.

/// A refusal: a status and what is wrong, at a place in the body when there is one.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    errors: Vec<Located>,
}

#[derive(Debug, Serialize)]
struct Located {
    /// 1-based; 0 when the problem is not at one place of the body.
    line: usize,
    column: usize,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            errors: vec![Located {
                line: 0,
                column: 0,
                message: message.into(),
            }],
        }
    }

    /// A problem in the deal, where the CLI would place it (without the file name: the
    /// body has none).
    fn in_deal(diagnostic: &Diagnostic) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: vec![Located {
                line: diagnostic.line,
                column: diagnostic.column,
                message: diagnostic.message.clone(),
            }],
        }
    }

    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: the deal could not be coached (the server's log has no more to say)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            errors: &'a [Located],
        }
        let mut text = serde_json::to_string_pretty(&Body {
            errors: &self.errors,
        })
        .unwrap_or_else(|_| "{\"errors\": []}".to_owned());
        text.push('\n');
        (self.status, [(header::CONTENT_TYPE, JSON)], text).into_response()
    }
}

const JSON: &str = "application/json";
const SVG: &str = "image/svg+xml; charset=utf-8";

/// Every error answer is JSON, also those made by the layers (413 from the body limit,
/// 408 from the timeout) and by routing (404, 405): a CRM reads one shape.
pub async fn errors_as_json(Shared(state): Shared<Arc<State>>, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(JSON.as_bytes()));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the body is over the {}-byte limit for an input (DEALCOACH_MAX_INPUT_BYTES on the server sets it)",
            state.max_input_bytes
        ),
        StatusCode::REQUEST_TIMEOUT => format!(
            "the request took longer than {} seconds",
            super::REQUEST_TIMEOUT.as_secs()
        ),
        StatusCode::NOT_FOUND => "no such route: the API is POST /v1/next, /v1/explain, /v1/review, /v1/map, GET /v1/playbooks and /healthz".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this route does not take that method: the /v1 routes that read a deal take POST, /v1/playbooks and /healthz take GET".to_owned(),
        StatusCode::BAD_REQUEST => "the request cannot be read: check its query string and body".to_owned(),
        status if status.is_server_error() => "internal error".to_owned(),
        status => status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_lowercase(),
    };
    let (mut parts, _) = response.into_parts();
    let fresh = ApiError::new(status, message).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    Response::from_parts(parts, fresh.into_body())
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such route: the API is POST /v1/next, /v1/explain, /v1/review, /v1/map, GET /v1/playbooks and /healthz",
    )
}

/// With `--token`, every `/v1` request shows it: `Authorization: Bearer <token>`.
async fn require_token(
    Shared(state): Shared<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    if state.accepts(presented) {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "this server needs its token: send `Authorization: Bearer <token>`",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"dealcoach\""),
    );
    response
}

// ---------------------------------------------------------------------------------------
// Reading a request.

/// The body as text: UTF-8 (a byte-order mark is dropped, as from a file), else 400
/// pointing at the first byte that is not.
fn body_text(body: &[u8]) -> Result<String, ApiError> {
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned()),
        Err(error) => {
            let valid = &body[..error.valid_up_to()];
            let (line, column) =
                crate::diag::line_column(&String::from_utf8_lossy(valid), valid.len());
            Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                errors: vec![Located {
                    line,
                    column,
                    message: "the body is not UTF-8 text: send it as UTF-8".to_owned(),
                }],
            })
        }
    }
}

/// The body as a deal, read and validated as the CLI reads a deal file.
fn deal(loaded: &Loaded, body: &[u8]) -> Result<crate::snapshot::Snapshot, ApiError> {
    let text = body_text(body)?;
    crate::snapshot::parse(&text, "<request>", &loaded.playbook.aliases)
        .map_err(|problem| ApiError::in_deal(&problem))
}

/// The language asked for (`?lang=`), else the first of `Accept-Language` the playbooks
/// speak, else English. A `lang` they do not speak is refused, naming those they do.
pub fn language(
    playbook: &Playbook,
    asked: Option<&str>,
    accept_language: Option<&str>,
) -> Result<Lang, ApiError> {
    let spoken = playbook.labels.languages();
    if let Some(code) = asked.filter(|code| !code.trim().is_empty()) {
        let lang = Lang::new(code.trim());
        if spoken.contains(&lang) {
            return Ok(lang);
        }
        let codes: Vec<&str> = spoken.iter().map(|lang| lang.code()).collect();
        let hint = did_you_mean(lang.code(), codes.iter().copied())
            .map(|nearest| format!(" — did you mean `{nearest}`?"))
            .unwrap_or_default();
        let shown: String = code.chars().filter(|c| !c.is_control()).take(40).collect();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "the playbooks have no words in `{shown}`{hint} (they speak: {})",
                codes.join(", ")
            ),
        ));
    }
    Ok(preferred(&spoken, accept_language).unwrap_or(Lang::En))
}

/// The first language of an `Accept-Language` header, by weight, that is spoken.
fn preferred(spoken: &[Lang], accept_language: Option<&str>) -> Option<Lang> {
    let mut wanted: Vec<(u16, usize, &str)> = accept_language?
        .split(',')
        .enumerate()
        .filter_map(|(order, entry)| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            let weight = parts
                .find_map(|part| part.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next()?;
            Some(((weight.clamp(0.0, 1.0) * 1000.0) as u16, order, primary))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    wanted
        .into_iter()
        .filter(|(weight, ..)| *weight > 0)
        .filter(|(_, _, code)| Lang::is_code(code))
        .map(|(_, _, code)| Lang::new(code))
        .find(|lang| spoken.contains(lang))
}

fn accept_language(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// A whole number from the query string, or 400 naming the parameter.
fn number(query: &HashMap<String, String>, name: &str) -> Result<Option<usize>, ApiError> {
    match query.get(name).map(|value| value.trim()) {
        None | Some("") => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("`{name}` must be a whole number"),
            )
        }),
    }
}

/// Runs `work` on a core and turns its outcome into the answer.
async fn answer<F>(state: &Arc<State>, content_type: &'static str, work: F) -> Response
where
    F: FnOnce(&Loaded) -> Result<String, ApiError> + Send + 'static,
{
    match state.coach(work).await {
        Some(Ok(body)) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Some(Err(error)) => error.into_response(),
        None => ApiError::internal().into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// Routes.

async fn healthz(Shared(state): Shared<Arc<State>>) -> Response {
    let outcome = state
        .light(|state, loaded| {
            let error = state.live.error();
            let mut document = serde_json::json!({
                "status": if error.is_some() { "degraded" } else { "ok" },
                "version": env!("CARGO_PKG_VERSION"),
                "playbooks": crate::present::next::PlaybookRef::of(&loaded.playbook),
            });
            if let Some(error) = error {
                document["reload_error"] = serde_json::Value::String(error);
            }
            document
        })
        .await;
    match outcome {
        Some(document) => {
            let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
            text.push('\n');
            ([(header::CONTENT_TYPE, JSON)], text).into_response()
        }
        None => ApiError::internal().into_response(),
    }
}

async fn next(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = accept_language(&headers);
    answer(&state, JSON, move |loaded| {
        let top = number(&query, "top")?;
        let lang = language(
            &loaded.playbook,
            query.get("lang").map(String::as_str),
            accept.as_deref(),
        )?;
        let snapshot = deal(loaded, &body)?;
        let mut report = coach(&loaded.playbook, &snapshot, lang)
            .map_err(|message| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message))?;
        if let Some(top) = top {
            report.moves.truncate(top);
        }
        Ok(crate::present::next::json(&report, &loaded.playbook))
    })
    .await
}

async fn explain(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = accept_language(&headers);
    answer(&state, JSON, move |loaded| {
        use crate::trainer::explain::{explain, NotExplained};
        let lang = language(
            &loaded.playbook,
            query.get("lang").map(String::as_str),
            accept.as_deref(),
        )?;
        let snapshot = deal(loaded, &body)?;
        let rule = query
            .get("rule")
            .map(String::as_str)
            .filter(|rule| !rule.is_empty());
        let explanation =
            explain(&loaded.playbook, &snapshot, rule, lang).map_err(|problem| match problem {
                NotExplained::BadDeal(message) => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
                }
                NotExplained::NoSuchRule(message) => {
                    ApiError::new(StatusCode::BAD_REQUEST, message)
                }
            })?;
        Ok(explanation.json(&loaded.playbook, &snapshot))
    })
    .await
}

async fn map(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = accept_language(&headers);
    answer(&state, SVG, move |loaded| {
        let lang = language(
            &loaded.playbook,
            query.get("lang").map(String::as_str),
            accept.as_deref(),
        )?;
        let snapshot = deal(loaded, &body)?;
        let map = crate::present::map::PowerMap::of(&loaded.playbook, &snapshot);
        Ok(crate::present::map::svg(
            &map,
            Words::new(&loaded.playbook.labels, lang),
        ))
    })
    .await
}

async fn review(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = accept_language(&headers);
    let max_bytes = state.max_input_bytes;
    answer(&state, JSON, move |loaded| {
        let lang = language(
            &loaded.playbook,
            query.get("lang").map(String::as_str),
            accept.as_deref(),
        )?;
        let text = body_text(&body)?;
        review_list(loaded, &text, lang, &query, max_bytes)
    })
    .await
}

/// The file name a review's rows and errors give the posted list, as the CLI would for
/// `review deals.yaml` run beside it.
const LIST_NAME: &str = "deals.yaml";

/// Reviews the posted list exactly as `review deals.yaml --format json` does: the list
/// is written to a private temporary folder (removed on return) and read by the same
/// pipeline reader; the folder's path is then taken out of the answer.
fn review_list(
    loaded: &Loaded,
    text: &str,
    lang: Lang,
    query: &HashMap<String, String>,
    max_bytes: u64,
) -> Result<String, ApiError> {
    use crate::views::review::{review, Filters};
    let playbook = &loaded.playbook;
    let settings = loaded.portfolio.as_ref().map_err(|message| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the playbooks' portfolio settings do not load: {message}"),
        )
    })?;
    // Risk has no ceiling: a larger threshold than any risk keeps no deal.
    let min_risk = number(query, "min_risk")?.map(|risk| u32::try_from(risk).unwrap_or(u32::MAX));
    let concept = query.get("concept").filter(|concept| !concept.is_empty());
    if let Some(concept) = concept {
        let produced = playbook
            .rules
            .iter()
            .any(|rule| crate::views::concept_matches(&rule.rule.concept, concept));
        if !produced {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("no rule of the playbooks produces concept `{concept}`"),
            ));
        }
    }
    let filters = Filters {
        account: query.get("account").filter(|a| !a.is_empty()).cloned(),
        min_risk,
        concept: concept.cloned(),
        owner: query.get("owner").filter(|o| !o.is_empty()).cloned(),
    };
    let folder = tempfile::tempdir().map_err(|_| ApiError::internal())?;
    let list = folder.path().join(LIST_NAME);
    std::fs::write(&list, text).map_err(|_| ApiError::internal())?;
    let reviewed = review(&[list], playbook, settings, lang, &filters, max_bytes)
        .map_err(|_| ApiError::internal())?;
    let view = crate::present::review::View {
        format: crate::views::Format::Json,
        words: Words::new(&playbook.labels, lang),
        style: crate::present::Style::PLAIN,
        top: number(query, "top")?,
        filters: &filters,
        settings,
        playbook,
        since: None,
    };
    let mut out = Vec::new();
    crate::present::review::write(reviewed, &view, &mut out).map_err(|_| ApiError::internal())?;
    let out = String::from_utf8(out).map_err(|_| ApiError::internal())?;
    // The folder's path, as JSON writes it, out of every `file` and message.
    let prefix = format!("{}{}", folder.path().display(), std::path::MAIN_SEPARATOR);
    let escaped = serde_json::to_string(&prefix).unwrap_or_default();
    let escaped = escaped.trim_matches('"');
    Ok(out.replace(escaped, ""))
}

async fn playbooks(Shared(state): Shared<Arc<State>>) -> Response {
    answer(&state, JSON, |loaded| {
        #[derive(Serialize)]
        struct RuleOut<'a> {
            id: &'a str,
            concept: &'a str,
            kind: &'static str,
            file: &'a str,
            line: usize,
        }
        let playbook = &loaded.playbook;
        let rules: Vec<RuleOut> = playbook
            .rules
            .iter()
            .map(|compiled| {
                let rule = &compiled.rule;
                RuleOut {
                    id: &rule.id,
                    concept: &rule.concept,
                    kind: match rule.kind {
                        RuleKind::Move { .. } => "move",
                        RuleKind::Warning { .. } => "warning",
                    },
                    file: &rule.place.file,
                    line: rule.place.line,
                }
            })
            .collect();
        let document = serde_json::json!({
            "dealcoach": env!("CARGO_PKG_VERSION"),
            "playbooks": crate::present::next::PlaybookRef::of(playbook),
            "languages": playbook.labels.languages().iter().map(|lang| lang.code()).collect::<Vec<_>>(),
            "rules": rules,
        });
        let mut text = serde_json::to_string_pretty(&document).map_err(|_| ApiError::internal())?;
        text.push('\n');
        Ok(text)
    })
    .await
}

#[cfg(test)]
mod tests {
    //! Content negotiation a browser or CRM relies on, without starting a server.
    use super::*;

    #[test]
    fn accept_language_picks_the_heaviest_spoken_language() {
        let spoken = [Lang::Zh, Lang::En];
        let pick = |header: &str| preferred(&spoken, Some(header));
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(pick("fr-FR, en;q=0.5, zh;q=0.7"), Some(Lang::Zh));
        assert_eq!(pick("de, fr"), None);
        assert_eq!(pick("zh;q=0, en"), Some(Lang::En));
        assert_eq!(preferred(&spoken, None), None);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_placed_at_its_first_bad_byte() {
        let error = body_text(b"deal:\n  id: x\xff").unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!((error.errors[0].line, error.errors[0].column), (2, 8));
        assert_eq!(
            body_text("\u{feff}deal: {}".as_bytes()).unwrap(),
            "deal: {}"
        );
    }
}
