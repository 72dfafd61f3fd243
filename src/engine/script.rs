//! What a compiled script reads: the variables and properties it names, and where.

use rhai::{Position, AST};

use super::*;

/// Whether the script is a list written with one element, `[…]`.
pub(super) fn one_element_list(ast: &AST) -> bool {
    matches!(ast.statements(), [rhai::Stmt::Expr(expr)]
        if matches!(expr.as_ref(), rhai::Expr::Array(elements, _) if elements.len() == 1))
}

/// The variables the script reads (or assigns), in one walk of its tree.
pub(super) fn variables_read(ast: &AST) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last() {
            names.insert(variable.1.to_string());
        }
        true
    });
    names
}

/// The field a variable is read by, for the variable at the end of `path` (a walk of a
/// script's tree): `x` in `v.x`, `v.x.y`, `v.x[0]`, `v["x"]`; `None` when the variable is
/// read whole (passed on, `v.len()`, `v[key]` with a computed key).
pub(super) fn field_read<'a>(path: &[rhai::ASTNode<'a>]) -> Option<&'a str> {
    use rhai::{ASTFlags, ASTNode, Expr};
    let [.., ASTNode::Expr(parent), ASTNode::Expr(variable)] = path else {
        return None;
    };
    // The first property of the rest of a `.` chain.
    fn first_property(expr: &Expr) -> Option<&str> {
        match expr {
            Expr::Property(property, _) => Some(property.2.as_str()),
            Expr::Dot(chain, _, _) => first_property(&chain.lhs),
            Expr::Index(index, _, _) => first_property(&index.lhs),
            _ => None,
        }
    }
    match parent {
        Expr::Dot(chain, _, _) if std::ptr::eq(&chain.lhs, *variable) => first_property(&chain.rhs),
        Expr::Index(index, flags, _) if std::ptr::eq(&index.lhs, *variable) => {
            // rhai binds a chain to the right: after `[`, the key alone when the chain ends
            // there, otherwise a node whose left side is the key.
            let key = if flags.contains(ASTFlags::BREAK) {
                &index.rhs
            } else {
                match &index.rhs {
                    Expr::Dot(next, _, _) | Expr::Index(next, _, _) => &next.lhs,
                    _ => return None,
                }
            };
            match key {
                Expr::StringConstant(key, _) => Some(key.as_str()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether the script reads the variable `name` anywhere.
pub fn reads_variable(ast: &AST, name: &str) -> bool {
    let mut found = false;
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last() {
            if variable.1.as_str() == name {
                found = true;
            }
        }
        !found
    });
    found
}

/// A rhai position as (line, column), 0 when unknown.
pub fn position(place: Position) -> (usize, usize) {
    (place.line().unwrap_or(0), place.position().unwrap_or(0))
}

pub(super) fn function_line(text: &str, name: &str) -> usize {
    let needle = format!("fn {name}(");
    text.lines()
        .position(|line| line.contains(&needle))
        .map_or(0, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field each read of `settings` names, or `None` where it is read whole: a
    /// setting left out of the scripts' copy because of a wrong answer here would read as
    /// missing.
    #[test]
    fn the_field_a_variable_is_read_by() {
        let engine = rhai::Engine::new();
        let mut scope = rhai::Scope::new();
        scope.push_dynamic("settings", rhai::Dynamic::UNIT);
        scope.push_dynamic("key", rhai::Dynamic::UNIT);
        let cases: &[(&str, &[Option<&str>])] = &[
            ("settings.stale_days > 3", &[Some("stale_days")]),
            ("settings.kpi_by_tier[key].visits", &[Some("kpi_by_tier")]),
            ("settings.value.tiers.len()", &[Some("value")]),
            ("settings?.risk", &[Some("risk")]),
            ("settings[\"risk\"]", &[Some("risk")]),
            ("settings[\"risk\"].weights", &[Some("risk")]),
            ("settings[key]", &[None]),
            ("settings.len()", &[None]),
            ("key in settings", &[None]),
            ("type_of(settings)", &[None]),
            ("settings.a + settings.b", &[Some("a"), Some("b")]),
        ];
        for (source, expected) in cases {
            let ast = engine.compile_with_scope(&scope, source).expect(source);
            let mut found = Vec::new();
            ast.walk(&mut |path: &[rhai::ASTNode]| {
                if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last()
                {
                    if variable.1.as_str() == "settings" {
                        found.push(field_read(path).map(str::to_owned));
                    }
                }
                true
            });
            let expected: Vec<Option<String>> = expected
                .iter()
                .map(|field| field.map(str::to_owned))
                .collect();
            assert_eq!(found, expected, "{source}");
        }
    }
}
