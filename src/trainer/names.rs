//! The names a script reads, resolved against what the deal really holds.
//!
//! rhai checks variables at compile time but not fields: `facts.opn`, `deal.temprature`
//! or `settings.nope` compile, then fail at run time (or read `()` and quietly never
//! fire). `check` walks each script's AST and follows every chain of field reads from a
//! name in scope (`deal`, `account`, `information`, `facts`, `settings`) through a
//! [`Shape`] built from the real types (a sample deal's facts, serialized, and the
//! merged settings), so the schema never drifts from the code. A misspelt field is
//! reported with the nearest real one, at its place in the YAML file.

use std::collections::BTreeMap;

use rhai::{ASTNode, Expr, Position, AST};

use crate::diag::did_you_mean;

/// What a value holds, as far as reading its fields goes.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A map with known keys.
    Fields(BTreeMap<String, Shape>),
    /// A list of elements of one shape.
    List(Box<Shape>),
    /// Anything (unknown, or a scalar): not checked further.
    Open,
}

impl Shape {
    /// The shape of a JSON value: objects keep their keys, a list the shape of its first
    /// element; `null` (a field unknown on the sample) and scalars are not followed.
    pub fn of_json(value: &serde_json::Value) -> Shape {
        match value {
            serde_json::Value::Object(map) => Shape::Fields(
                map.iter()
                    .map(|(key, value)| (key.clone(), Shape::of_json(value)))
                    .collect(),
            ),
            serde_json::Value::Array(items) => {
                Shape::List(Box::new(items.first().map_or(Shape::Open, Shape::of_json)))
            }
            _ => Shape::Open,
        }
    }

    fn field(&self, name: &str) -> Result<&Shape, Vec<&str>> {
        match self {
            Shape::Fields(fields) => fields
                .get(name)
                .ok_or_else(|| fields.keys().map(String::as_str).collect()),
            _ => Ok(&Shape::Open),
        }
    }

    fn element(&self) -> &Shape {
        match self {
            Shape::List(element) => element,
            _ => &Shape::Open,
        }
    }
}

/// A field a script reads that its value does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// The chain as written up to the bad name (`facts.top.nmae`).
    pub chain: String,
    /// The chain before the bad name (`facts.top`).
    pub parent: String,
    pub name: String,
    pub suggestion: Option<String>,
    pub position: Position,
}

impl UnknownName {
    /// `` `facts.opn`: `facts` has no field `opn` — did you mean `open`? ``
    pub fn message(&self) -> String {
        let parent = &self.parent;
        let hint = self
            .suggestion
            .as_ref()
            .map(|nearest| format!(" — did you mean `{nearest}`?"))
            .unwrap_or_default();
        format!(
            "reads `{}`, but `{parent}` has no field `{}`{hint}",
            self.chain, self.name
        )
    }
}

/// Every unknown field read in `ast`, each once, in the order written. `roots` maps the
/// names in scope to their shapes; other variables (`item`, derived values, `let`s) are
/// not followed.
pub fn unknown_names(ast: &AST, roots: &BTreeMap<&str, Shape>) -> Vec<UnknownName> {
    let mut found: Vec<UnknownName> = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        let Some(ASTNode::Expr(expr)) = path.last() else {
            return true;
        };
        let (binary, is_index) = match expr {
            Expr::Dot(binary, ..) => (binary, false),
            Expr::Index(binary, ..) => (binary, true),
            _ => return true,
        };
        let Expr::Variable(variable, ..) = &binary.lhs else {
            return true;
        };
        let root = variable.1.as_str();
        let Some(shape) = roots.get(root) else {
            return true;
        };
        let mut chain = root.to_owned();
        let step = if is_index {
            index(shape, &binary.rhs, &mut chain)
        } else {
            follow(shape, &binary.rhs, &mut chain)
        };
        if let Err(unknown) = step {
            if !found.contains(&unknown) {
                found.push(unknown);
            }
        }
        true
    });
    found
}

/// Follows `expr`, the right side of a `.`, from a value of `shape`.
fn follow<'s>(shape: &'s Shape, expr: &Expr, chain: &mut String) -> Result<&'s Shape, UnknownName> {
    match expr {
        Expr::Property(property, position) => {
            let name = property.2.as_str();
            let parent = chain.clone();
            chain.push('.');
            chain.push_str(name);
            shape.field(name).map_err(|known| UnknownName {
                chain: chain.clone(),
                parent,
                name: name.to_owned(),
                suggestion: did_you_mean(name, known).map(str::to_owned),
                position: *position,
            })
        }
        Expr::Dot(binary, ..) => {
            let inner = follow(shape, &binary.lhs, chain)?;
            follow(inner, &binary.rhs, chain)
        }
        Expr::Index(binary, ..) => {
            let inner = follow(shape, &binary.lhs, chain)?;
            index(inner, &binary.rhs, chain)
        }
        _ => Ok(&Shape::Open),
    }
}

/// `[key]` on a value of `shape`: a constant text key is a field; a number an element.
fn index<'s>(shape: &'s Shape, key: &Expr, chain: &mut String) -> Result<&'s Shape, UnknownName> {
    match key {
        // rhai nests the rest of a chain under the index: `a[0].b` is `a[0 . b]`.
        Expr::Dot(binary, ..) => {
            let element = index(shape, &binary.lhs, chain)?;
            follow(element, &binary.rhs, chain)
        }
        Expr::Index(binary, ..) => {
            let element = index(shape, &binary.lhs, chain)?;
            index(element, &binary.rhs, chain)
        }
        Expr::StringConstant(name, position) => {
            let parent = chain.clone();
            chain.push_str(&format!("[\"{name}\"]"));
            shape.field(name).map_err(|known| UnknownName {
                chain: chain.clone(),
                parent,
                name: name.to_string(),
                suggestion: did_you_mean(name, known).map(str::to_owned),
                position: *position,
            })
        }
        // Any other key of a list is a position, counted or computed: `stakeholders[i]`.
        _ if matches!(shape, Shape::List(_)) => {
            chain.push_str("[…]");
            Ok(shape.element())
        }
        _ => Ok(&Shape::Open),
    }
}

#[cfg(test)]
mod tests {
    //! A misspelt field must be found wherever the chain goes, and placed in the file.
    use super::*;
    use crate::playbook::ScriptPlace;

    fn roots() -> BTreeMap<&'static str, Shape> {
        let facts = serde_json::json!({"open": true, "top": {"name": "x", "met": false},
            "activities_30d": {"call": 1}, "people": [{"name": "a"}]});
        BTreeMap::from([("facts", Shape::of_json(&facts))])
    }

    fn unknown(script: &str) -> Vec<String> {
        let engine = rhai::Engine::new_raw();
        let ast = engine.compile(script).expect("compiles");
        unknown_names(&ast, &roots())
            .into_iter()
            .map(|u| u.message())
            .collect()
    }

    #[test]
    fn finds_misspelt_fields_along_chains() {
        assert_eq!(
            unknown("facts.opn && facts.top.nmae == 1 && facts.activities_30d[\"cal\"] > 0"),
            [
                "reads `facts.opn`, but `facts` has no field `opn` — did you mean `open`?",
                "reads `facts.top.nmae`, but `facts.top` has no field `nmae` — did you mean `name`?",
                "reads `facts.activities_30d[\"cal\"]`, but `facts.activities_30d` has no field `cal` — did you mean `call`?",
            ]
        );
        assert!(
            unknown("facts.open && facts.top?.name != () && facts.people[0].name == 1 && x.y")
                .is_empty()
        );
        assert_eq!(unknown("facts.people[0].nme").len(), 1);
    }

    #[test]
    fn places_script_columns_in_the_file() {
        let text =
            "rules:\n  - when: facts.opn\n    priority: |\n      if x {\n        facts.opn }\n";
        let places = crate::snapshot::places::Places::of(text);
        let plain = ScriptPlace::new(text, places.get(&["rules", "0", "when"]).unwrap());
        assert_eq!(plain.locate(Position::new(1, 7)), Some((2, 17)));
        let block = ScriptPlace::new(text, places.get(&["rules", "0", "priority"]).unwrap());
        assert_eq!(block.locate(Position::new(2, 3)), Some((5, 9)));
    }
}
