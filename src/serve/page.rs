//! The page for reps (`GET /`): a deal editor, the advice as they type, the power map.
//!
//! Plain HTML, CSS and JavaScript under `assets/`, compiled into the binary: no build
//! step, nothing fetched from elsewhere, works offline. The script is its own file (the
//! Content-Security-Policy allows no inline script). Every word on the page comes from
//! the playbooks' label catalog: the HTML is filled in the reader's language here, and
//! the script asks `/words` for another when they switch.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as Shared};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::routes::{language, ApiError};
use super::{Loaded, State};
use crate::playbook::Lang;
use crate::present::escape::xml;
use crate::present::Words;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");
const ICON: &str = include_str!("assets/favicon.svg");
/// The deal the editor starts with.
pub const EXAMPLE: &str = include_str!("../../examples/deals/bank-core.yaml");

/// Assets change only with the binary; a browser asks again rather than guess.
const REVALIDATE: &str = "no-cache";

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

pub async fn example() -> Response {
    asset("text/plain; charset=utf-8", EXAMPLE)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        body,
    )
        .into_response()
}

/// The language a page is shown in: `?lang=` when the playbooks speak it, else the
/// browser's, else English. (The API refuses an unknown `lang`; a page just falls back.)
fn page_language(loaded: &Loaded, asked: Option<&str>, accept: Option<&str>) -> Lang {
    language(&loaded.playbook, asked, accept)
        .or_else(|_| language(&loaded.playbook, None, accept))
        .unwrap_or(Lang::En)
}

pub async fn index(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let accept = accept(&headers);
    let outcome = state
        .light(move |_, loaded| {
            let lang = page_language(
                loaded,
                query.get("lang").map(String::as_str),
                accept.as_deref(),
            );
            render(INDEX, loaded, lang)
        })
        .await;
    match outcome {
        Some(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, REVALIDATE),
            ],
            html,
        )
            .into_response(),
        None => ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
        .into_response(),
    }
}

fn accept(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Fills the page template: `{{lang}}`, `{{example}}`, `{{languages}}` (the options of
/// the language switch) and `{{w:KEY}}` (a label), every value escaped.
fn render(template: &str, loaded: &Loaded, lang: Lang) -> String {
    let words = Words::new(&loaded.playbook.labels, lang);
    let mut out = String::with_capacity(template.len() + EXAMPLE.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        match name {
            "lang" => out.push_str(lang.code()),
            "example" => out.push_str(&xml_keeping_lines(EXAMPLE)),
            "languages" => {
                for spoken in loaded.playbook.labels.languages() {
                    let selected = if spoken == lang { " selected" } else { "" };
                    out.push_str(&format!(
                        "<option value=\"{code}\"{selected}>{name}</option>",
                        code = spoken.code(),
                        name = xml(&language_name(&words, spoken)),
                    ));
                }
            }
            _ => {
                if let Some(key) = name.strip_prefix("w:") {
                    out.push_str(&xml(words.ui(key)));
                }
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The text of a `<textarea>`: escaped, line breaks kept.
fn xml_keeping_lines(text: &str) -> String {
    text.lines()
        .map(|line| xml(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A language as the switch names it: `language.<code>`, else its code.
fn language_name(words: &Words, lang: Lang) -> String {
    let key = format!("language.{}", lang.code());
    if words.labels.contains(&key) {
        words.ui_owned(&key)
    } else {
        lang.code().to_owned()
    }
}

#[derive(Serialize)]
struct WordsOut {
    lang: &'static str,
    languages: Vec<LanguageOut>,
    /// Every label of the catalog in `lang` (its `other` form for counts).
    words: indexmap::IndexMap<String, String>,
}

#[derive(Serialize)]
struct LanguageOut {
    code: &'static str,
    name: String,
}

/// `GET /words?lang=`: the label catalog in one language, for the page's script.
pub async fn words(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let accept = accept(&headers);
    let outcome = state
        .light(move |_, loaded| {
            let lang = page_language(
                loaded,
                query.get("lang").map(String::as_str),
                accept.as_deref(),
            );
            let labels = &loaded.playbook.labels;
            let words = Words::new(labels, lang);
            let document = WordsOut {
                lang: lang.code(),
                languages: labels
                    .languages()
                    .into_iter()
                    .map(|spoken| LanguageOut {
                        code: spoken.code(),
                        name: language_name(&words, spoken),
                    })
                    .collect(),
                words: labels
                    .keys()
                    .map(|key| (key.to_owned(), labels.text(key, lang).to_owned()))
                    .collect(),
            };
            serde_json::to_string(&document).unwrap_or_default()
        })
        .await;
    match outcome {
        Some(json) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, REVALIDATE),
            ],
            json,
        )
            .into_response(),
        None => ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    //! The page template names only labels the catalog has, and fills them escaped.
    use super::*;

    fn loaded() -> Arc<Loaded> {
        super::super::Live::new(None)
            .expect("the built-in playbooks load")
            .get()
    }

    #[test]
    fn every_word_of_the_page_is_in_the_catalog_in_zh_and_en() {
        let loaded = loaded();
        let mut missing = Vec::new();
        for piece in INDEX.split("{{w:").skip(1) {
            let key = piece.split("}}").next().unwrap_or_default();
            if !loaded.playbook.labels.contains(key) {
                missing.push(key.to_owned());
            }
        }
        // Every string literal of the script that starts like a label key.
        for prefix in [
            "\"page.",
            "\"next.",
            "\"heading.",
            "\"sighting.",
            "\"language.",
        ] {
            for piece in SCRIPT.split(prefix).skip(1) {
                let rest = piece.split('"').next().unwrap_or_default();
                let key = format!("{}{rest}", &prefix[1..]);
                let whole_key = rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                if whole_key && !loaded.playbook.labels.contains(&key) {
                    missing.push(key);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "labels missing from the catalog: {missing:?}"
        );
        let zh = render(INDEX, &loaded, Lang::Zh);
        assert!(zh.contains("教练建议") && !zh.contains("{{"), "{zh}");
        assert!(zh.contains("周行长"), "the example deal is in the editor");
        let en = render(INDEX, &loaded, Lang::En);
        assert!(en.contains("Advice") && en.contains("lang=\"en\""));
    }
}
