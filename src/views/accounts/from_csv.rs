//! Accounts from a CRM export: one row per account, each cell checked and located.

use super::*;

/// Reads the CSV export: every bad cell is reported with its line and column. A CRM's
/// export has columns of its own (Owner, Region …): they are passed over and returned, in
/// header order, for a note; a title one typo away from a column the file lacks
/// (`revenu`) is refused instead, since passing it over would lose the column.
pub fn read_csv(
    text: &str,
    path: &str,
    aliases: &Arc<Aliases>,
) -> Result<(Vec<AccountInput>, Vec<String>), Diagnostics> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let _aliases = AliasScope::enter(Arc::clone(aliases));
    let mut problems = Diagnostics::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let located = |line: usize, field: usize, message: String| {
        let column = text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|source| field_columns(source).get(field).copied())
            .unwrap_or(0);
        Diagnostic::error(path, line, column, message).with_source(text)
    };

    let header = match records.next() {
        None => {
            return Err(Diagnostics(vec![Diagnostic::error(
                path,
                0,
                0,
                format!(
                    "the file is empty: an account export needs a header line ({})",
                    CSV_COLUMNS.join(", ")
                ),
            )]))
        }
        Some(Err(error)) => return Err(Diagnostics(vec![csv_problem(path, &error, text)])),
        Some(Ok(header)) => header,
    };
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    let mut columns: Vec<Option<&'static str>> = Vec::new();
    let mut ignored = Vec::new();
    let present: Vec<String> = header
        .iter()
        .map(|title| title.trim().to_lowercase())
        .collect();
    for (field, title) in header.iter().enumerate() {
        let wanted = title.trim().to_lowercase();
        match CSV_COLUMNS.iter().find(|known| **known == wanted) {
            Some(known) if columns.contains(&Some(*known)) => problems.push(located(
                header_line,
                field,
                format!("column `{known}` appears twice"),
            )),
            Some(known) => columns.push(Some(known)),
            None => {
                let missing = CSV_COLUMNS
                    .iter()
                    .copied()
                    .filter(|known| !present.iter().any(|title| title == known));
                match did_you_mean(&wanted, missing) {
                    Some(nearest) => problems.push(located(
                        header_line,
                        field,
                        format!(
                            "unknown column `{}` — did you mean `{nearest}`?",
                            title.trim()
                        ),
                    )),
                    None => ignored.push(title.trim().to_owned()),
                }
                columns.push(None);
            }
        }
    }
    if !columns.contains(&Some("name")) {
        problems.push(located(
            header_line,
            0,
            "the header has no `name` column: every account needs a name".to_owned(),
        ));
    }
    if problems.has_errors() {
        return Err(problems);
    }

    let mut accounts: Vec<AccountInput> = Vec::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(csv_problem(path, &error, text));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            problems.push(
                Diagnostic::error(
                    path,
                    line,
                    0,
                    format!(
                        "this line has {} cells but the header has {} columns",
                        record.len(),
                        columns.len()
                    ),
                )
                .with_source(text),
            );
            continue;
        }
        let mut row = CsvRow::default();
        for (field, cell) in record.iter().enumerate() {
            let Some(column) = columns[field] else {
                continue;
            };
            if let Err(message) = row.set(column, cell.trim()) {
                problems.push(located(line, field, format!("`{column}`: {message}")));
            }
        }
        let Some(name) = row.name.take() else {
            let field = columns.iter().position(|c| *c == Some("name")).unwrap_or(0);
            problems.push(located(
                line,
                field,
                "`name` is empty: every account needs a name".to_owned(),
            ));
            continue;
        };
        if let Some(first) = first_line.get(&name) {
            problems.push(located(
                line,
                0,
                format!("account `{name}` appears twice (first on line {first})"),
            ));
            continue;
        }
        first_line.insert(name.clone(), line);
        accounts.push(row.into_input(name));
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok((accounts, ignored))
    }
}

pub(super) fn csv_problem(path: &str, error: &csv::Error, text: &str) -> Diagnostic {
    let line = error.position().map_or(0, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text: save it as UTF-8".to_owned(),
        _ => format!("cannot read this line as CSV: {error}"),
    };
    Diagnostic::error(path, line, 0, message).with_source(text)
}

/// The 1-based character column where each field of a CSV line starts (quotes respected).
pub(super) fn field_columns(line: &str) -> Vec<usize> {
    let mut columns = vec![1];
    let mut quoted = false;
    for (index, c) in line.chars().enumerate() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => columns.push(index + 2),
            _ => {}
        }
    }
    columns
}

#[derive(Default)]
pub(super) struct CsvRow {
    name: Option<String>,
    revenue: Option<f64>,
    profit: Option<f64>,
    collected: Option<f64>,
    transactions: Option<i64>,
    growth: Option<f64>,
    strategic_fit: Option<f64>,
    share_of_wallet_left: Option<f64>,
    purchase_pattern: Option<PurchasePattern>,
    is_key_account: Option<bool>,
}

/// A number as CRM exports write it: `1200000`, `1,200,000`, `1 200 000`, `-35000.5`.
pub(super) fn number(cell: &str) -> Result<f64, String> {
    let plain: String = cell
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}'))
        .collect();
    match plain.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("expected a number, not `{cell}`")),
    }
}

pub(super) fn non_negative(value: f64) -> Result<f64, String> {
    if value < 0.0 {
        Err(format!("must be 0 or more, not {}", format_number(value)))
    } else {
        Ok(value)
    }
}

pub(super) fn score10(value: f64) -> Result<f64, String> {
    if (0.0..=10.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "a potential score must be 0 to 10, not {}",
            format_number(value)
        ))
    }
}

/// Yes or no: the usual spellings, or a `flag` alias of the playbooks (`是`, `否`).
pub(super) fn flag(cell: &str) -> Result<bool, String> {
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => return Ok(true),
        "false" | "no" | "n" | "0" => return Ok(false),
        _ => {}
    }
    Flag::resolve(cell)
        .map(|flag| matches!(flag, Flag::True))
        .map_err(|_| format!("expected true or false, not `{cell}`"))
}

impl CsvRow {
    /// Reads one cell; an empty cell means "not known".
    fn set(&mut self, column: &str, cell: &str) -> Result<(), String> {
        if cell.is_empty() {
            return Ok(());
        }
        match column {
            "name" => self.name = Some(cell.to_owned()),
            "revenue" => self.revenue = Some(non_negative(number(cell)?)?),
            "profit" => self.profit = Some(number(cell)?),
            "collected" => self.collected = Some(non_negative(number(cell)?)?),
            "transactions" => {
                let value = non_negative(number(cell)?)?;
                if value.fract() != 0.0 || value > i64::MAX as f64 {
                    return Err(format!("a count must be a whole number, not `{cell}`"));
                }
                self.transactions = Some(value as i64);
            }
            "growth" => self.growth = Some(score10(number(cell)?)?),
            "strategic_fit" => self.strategic_fit = Some(score10(number(cell)?)?),
            "share_of_wallet_left" => self.share_of_wallet_left = Some(score10(number(cell)?)?),
            "purchase_pattern" => self.purchase_pattern = Some(PurchasePattern::resolve(cell)?),
            "is_key_account" => self.is_key_account = Some(flag(cell)?),
            _ => {}
        }
        Ok(())
    }

    fn into_input(self, name: String) -> AccountInput {
        let has_metrics = self.revenue.is_some()
            || self.profit.is_some()
            || self.collected.is_some()
            || self.transactions.is_some();
        let has_potential = self.growth.is_some()
            || self.strategic_fit.is_some()
            || self.share_of_wallet_left.is_some();
        AccountInput {
            account: Account {
                name: Some(name.clone()),
                is_key_account: self.is_key_account,
                purchase_pattern: self.purchase_pattern,
                metrics: has_metrics.then(|| Metrics {
                    revenue: self.revenue.map(Money),
                    profit: self.profit,
                    collected: self.collected.map(Money),
                    transactions: self.transactions.map(Count),
                }),
                potential: has_potential.then(|| Potential {
                    growth: self.growth.map(Score10),
                    strategic_fit: self.strategic_fit.map(Score10),
                    share_of_wallet_left: self.share_of_wallet_left.map(Score10),
                }),
                ..Account::default()
            },
            name,
            as_of: None,
            deals: None,
            kpi: None,
        }
    }
}
