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
