//! Simple expressions evaluated directly in Rust, without the rhai interpreter.
//!
//! Most conditions, priorities and derived values are a handful of field reads,
//! comparisons and `&&`/`||`: `facts.open && facts.signal_types >= 2`. Handing each
//! to rhai costs a runtime set-up, a search of the scope by name and a clone of every value
//! read — about a microsecond, a hundred times per deal, more than reading the deal itself.
//! Such expressions are compiled once here into a small tree over scope slots and
//! evaluated by reference.
//!
//! The tree is an accelerator, never a second language: it covers the part of rhai whose
//! meaning it reproduces exactly (rhai's own operator rules, including its comparison of
//! different types and of floats within an epsilon), and everything else — a `let`, a
//! loop, a string built with `+`, an error such as a missing field — is a node that
//! answers "don't know". Then the caller runs the same script in rhai, which gives the
//! answer or the error message it always gave. A function of `rules/*.rhai` is run by
//! rhai, called with the arguments evaluated here: that spares the interpreter the rest
//! of the script and the deal's scope. Because the expressions have no side effects,
//! trying here first and re-running in rhai is invisible. A test compares both on every
//! built-in script and every test deal.

use rhai::{ASTFlags, Dynamic, Expr, FnCallExpr, ImmutableString, Stmt, StmtBlock, AST, INT};

use super::picked::LazyFacts;
use seek::{Seek, Sought};

/// A compiled expression. `None` from [`Direct::eval`] means "ask rhai".
#[derive(Debug)]
pub struct Direct {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Constant(Scalar),
    /// A variable of the deal scope by position, then fields read from it. `memo`: where
    /// its value is kept for the rest of the deal (many rules read `facts.open`); `None`
    /// for paths from `item`, whose value changes from one element to the next.
    Path {
        slot: usize,
        steps: Vec<Step>,
        memo: Option<usize>,
        /// Some step is a computed key (never with a memo).
        keyed: bool,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Coalesce(Vec<Node>),
    Compare(Comparison, Box<Node>, Box<Node>),
    Add(Box<Node>, Box<Node>),
    Subtract(Box<Node>, Box<Node>),
    /// Whole-number division only.
    Divide(Box<Node>, Box<Node>),
    /// `[a, b]` and `#{key: a}`: built only by [`Direct::eval_value`].
    List(Vec<Node>),
    Map(Vec<(ImmutableString, Node)>),
    /// A function of `rules/*.rhai` called by name, run by rhai with these arguments.
    Call {
        name: ImmutableString,
        args: Vec<Node>,
    },
    /// `item in list`, for a list given as a path.
    In {
        item: Box<Node>,
        list: Box<Node>,
    },
    If {
        condition: Box<Node>,
        then: Box<Node>,
        otherwise: Box<Node>,
    },
    /// Something rhai must evaluate.
    Unknown,
}

#[derive(Debug)]
struct Step {
    /// `?.` before this step: a `()` target ends the whole path with `()`.
    elvis: bool,
    kind: StepKind,
}

#[derive(Debug)]
enum StepKind {
    /// `.name`, or `["name"]` with a constant key.
    Field(ImmutableString),
    /// `[0]`: an element of a list, counted from the start.
    Position(usize),
    /// `[expr]`: a field named by a string, or a list position given by a whole number,
    /// computed (`settings.kpi_by_tier[facts.value.tier]`).
    Key(Box<Node>),
    /// `.len()`
    Len,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    /// Whether two values whose order is `ordering` satisfy the comparison.
    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Comparison::Equal => ordering == Equal,
            Comparison::NotEqual => ordering != Equal,
            Comparison::Less => ordering == Less,
            Comparison::LessOrEqual => ordering != Greater,
            Comparison::Greater => ordering == Greater,
            Comparison::GreaterOrEqual => ordering != Less,
        }
    }
}

/// A value as the comparisons see it. Lists, maps and other values are only told apart by
/// type: comparing one with a different type has a fixed answer in rhai; comparing two of
/// the same kind is left to rhai.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Unit,
    Bool(bool),
    Int(INT),
    Float(f64),
    Str(ImmutableString),
    /// `[]`, written as a constant.
    EmptyList,
    Other(&'static str),
}

impl Scalar {
    fn of(value: &Dynamic) -> Option<Scalar> {
        if value.is_shared() {
            return None;
        }
        Some(if value.is_unit() {
            Scalar::Unit
        } else if let Ok(flag) = value.as_bool() {
            Scalar::Bool(flag)
        } else if let Ok(number) = value.as_int() {
            Scalar::Int(number)
        } else if let Ok(number) = value.as_float() {
            Scalar::Float(number)
        } else if value.is_string() {
            Scalar::Str(value.clone().into_immutable_string().ok()?)
        } else if value.is_char() {
            // rhai compares characters with strings by its own rules.
            return None;
        } else {
            Scalar::Other(value.type_name())
        })
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Scalar::Int(_) | Scalar::Float(_))
    }

    fn kind(&self) -> &'static str {
        match self {
            Scalar::Unit => "()",
            Scalar::Bool(_) => "bool",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Str(_) => "string",
            Scalar::EmptyList => "array",
            Scalar::Other(name) => name,
        }
    }

    /// The value as rhai would hold it; `None` for values only known by type.
    pub fn into_dynamic(self) -> Option<Dynamic> {
        Some(match self {
            Scalar::Unit => Dynamic::UNIT,
            Scalar::Bool(flag) => Dynamic::from_bool(flag),
            Scalar::Int(number) => Dynamic::from_int(number),
            Scalar::Float(number) => Dynamic::from_float(number),
            Scalar::Str(text) => Dynamic::from(text),
            Scalar::EmptyList => Dynamic::from_array(rhai::Array::new()),
            Scalar::Other(_) => return None,
        })
    }
}

/// Values of paths already read for the current deal, by memo number.
#[derive(Default)]
pub struct Memo {
    values: Vec<Option<Scalar>>,
}

/// Gives every distinct path read from the deal a memo number, shared by all scripts.
#[derive(Default)]
pub struct MemoNumbers {
    numbers: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

impl MemoNumbers {
    fn number(&self, key: String) -> Option<usize> {
        let mut numbers = self.numbers.lock().ok()?;
        let next = numbers.len();
        Some(*numbers.entry(key).or_insert(next))
    }
}

impl Direct {
    /// Compiles a script made of one expression (or an `if`/`else` of expressions) over
    /// the scope variables `layout`, in scope order. `None` when nothing of it can be
    /// evaluated directly. `script_functions` are the names defined in `rules/*.rhai`: a
    /// trainer may define `len` or `contains`, and then rhai must call theirs. Paths from
    /// `per_item` (the slot of `item`) are not memoised.
    pub fn compile(
        ast: &AST,
        layout: &[&str],
        script_functions: &[&str],
        per_item: usize,
        memo: &MemoNumbers,
    ) -> Option<Direct> {
        let compiler = Compiler {
            layout,
            script_functions,
            per_item,
            memo,
        };
        let [statement] = ast.statements() else {
            return None;
        };
        let root = compiler.statement(statement);
        (!matches!(root, Node::Unknown)).then_some(Direct { root })
    }

    /// The value of the expression for the scope values `slots` (in scope order), or
    /// `None` when rhai must decide.
    pub fn eval(&self, slots: &Slots, memo: &mut Memo) -> Option<Scalar> {
        eval(&self.root, slots, memo)
    }

    /// The value as rhai would give it, lists and maps included (a `for_each`, a derived
    /// value): those read from the deal are copied, as rhai copies them.
    pub fn eval_value(&self, slots: &Slots, memo: &mut Memo) -> Option<Dynamic> {
        value(&self.root, slots, memo)
    }

    pub fn eval_bool(&self, slots: &Slots, memo: &mut Memo) -> Option<bool> {
        match self.eval(slots, memo)? {
            Scalar::Bool(flag) => Some(flag),
            _ => None,
        }
    }
}

/// Runs a function of `rules/*.rhai` for the direct evaluation: `None` when it fails
/// (rhai then runs the whole script and reports the failure).
pub trait ScriptFunctions {
    fn call(&self, name: &str, args: Vec<Dynamic>) -> Option<Dynamic>;
}

/// What an expression reads: the scope values in order, and who runs the functions of
/// `rules/*.rhai` (without one, a script that calls them is left to rhai).
pub struct Slots<'s> {
    values: Vec<&'s Dynamic>,
    functions: Option<&'s dyn ScriptFunctions>,
}

impl<'s> Slots<'s> {
    /// The value in `slot`, when the scope has that many.
    pub fn get(&self, slot: usize) -> Option<&'s Dynamic> {
        self.values.get(slot).copied()
    }

    /// These slots, with the functions of `rules/*.rhai` run by `functions`.
    pub fn calling(mut self, functions: &'s dyn ScriptFunctions) -> Slots<'s> {
        self.functions = Some(functions);
        self
    }
}

/// The values of a scope in order, for [`Direct::eval`].
pub fn slots<'s>(scope: &'s rhai::Scope<'static>) -> Slots<'s> {
    // `iter_raw` runs from the newest variable to the oldest.
    let mut values: Vec<&Dynamic> = scope.iter_raw().map(|(_, _, value)| value).collect();
    values.reverse();
    Slots {
        values,
        functions: None,
    }
}

struct Compiler<'a> {
    layout: &'a [&'a str],
    script_functions: &'a [&'a str],
    per_item: usize,
    memo: &'a MemoNumbers,
}

impl Compiler<'_> {
    fn statement(&self, statement: &Stmt) -> Node {
        match statement {
            Stmt::Expr(expr) => self.expr(expr),
            Stmt::FnCall(call, _) => self.call(call),
            Stmt::If(flow, _) => Node::If {
                condition: Box::new(self.expr(&flow.expr)),
                then: Box::new(self.block(&flow.body)),
                otherwise: Box::new(self.block(&flow.branch)),
            },
            _ => Node::Unknown,
        }
    }

    fn block(&self, block: &StmtBlock) -> Node {
        match block.statements() {
            [] => Node::Constant(Scalar::Unit),
            [statement] => self.statement(statement),
            _ => Node::Unknown,
        }
    }

    fn expr(&self, expr: &Expr) -> Node {
        match expr {
            Expr::Unit(_) => Node::Constant(Scalar::Unit),
            Expr::BoolConstant(flag, _) => Node::Constant(Scalar::Bool(*flag)),
            Expr::IntegerConstant(number, _) => Node::Constant(Scalar::Int(*number)),
            Expr::FloatConstant(number, _) => Node::Constant(Scalar::Float(**number)),
            Expr::StringConstant(text, _) => Node::Constant(Scalar::Str(text.clone())),
            Expr::Array(elements, _) if elements.is_empty() => Node::Constant(Scalar::EmptyList),
            Expr::Array(elements, _) => Node::List(elements.iter().map(|e| self.expr(e)).collect()),
            Expr::Map(map, _) => Node::Map(
                map.0
                    .iter()
                    .map(|(key, value)| (key.name.clone(), self.expr(value)))
                    .collect(),
            ),
            Expr::DynamicConstant(value, _) => {
                Scalar::of(value).map_or(Node::Unknown, Node::Constant)
            }
            Expr::Variable(..) | Expr::Dot(..) | Expr::Index(..) => {
                self.path(expr).unwrap_or(Node::Unknown)
            }
            Expr::And(operands, _) => Node::And(operands.iter().map(|e| self.expr(e)).collect()),
            Expr::Or(operands, _) => Node::Or(operands.iter().map(|e| self.expr(e)).collect()),
            Expr::Coalesce(operands, _) => {
                Node::Coalesce(operands.iter().map(|e| self.expr(e)).collect())
            }
            Expr::FnCall(call, _) => self.call(call),
            Expr::Stmt(block) => self.block(block),
            _ => Node::Unknown,
        }
    }

    fn call(&self, call: &FnCallExpr) -> Node {
        if !call.namespace.is_empty() {
            return Node::Unknown;
        }
        let args = &call.args;
        let operands = || (Box::new(self.expr(&args[0])), Box::new(self.expr(&args[1])));
        if call.op_token.is_some() {
            let comparison = match call.name.as_str() {
                "==" => Some(Comparison::Equal),
                "!=" => Some(Comparison::NotEqual),
                "<" => Some(Comparison::Less),
                "<=" => Some(Comparison::LessOrEqual),
                ">" => Some(Comparison::Greater),
                ">=" => Some(Comparison::GreaterOrEqual),
                _ => None,
            };
            return match (call.name.as_str(), args.len()) {
                (_, 2) if comparison.is_some() => {
                    let (left, right) = operands();
                    Node::Compare(comparison.unwrap_or(Comparison::Equal), left, right)
                }
                ("!", 1) => Node::Not(Box::new(self.expr(&args[0]))),
                ("+", 2) => {
                    let (left, right) = operands();
                    Node::Add(left, right)
                }
                ("-", 2) => {
                    let (left, right) = operands();
                    Node::Subtract(left, right)
                }
                ("/", 2) => {
                    let (left, right) = operands();
                    Node::Divide(left, right)
                }
                _ => Node::Unknown,
            };
        }
        // A function of `rules/*.rhai` (`f!(…)` would let it see the caller's variables).
        if self.script_functions.contains(&call.name.as_str()) && !call.capture_parent_scope {
            return Node::Call {
                name: call.name.clone(),
                args: args.iter().map(|arg| self.expr(arg)).collect(),
            };
        }
        // `item in list` is parsed as `contains(list, item)`, which a script may redefine.
        if call.name == "contains"
            && args.len() == 2
            && !self.script_functions.contains(&"contains")
        {
            return Node::In {
                list: Box::new(self.expr(&args[0])),
                item: Box::new(self.expr(&args[1])),
            };
        }
        Node::Unknown
    }

    /// A variable and the fields read from it: `facts`, `facts.top?.name`,
    /// `facts.activities_30d["call"]`, `facts.allies.len()`.
    fn path(&self, expr: &Expr) -> Option<Node> {
        match expr {
            Expr::Variable(variable, _, _) => {
                Some(self.path_node(self.slot(variable.1.as_str(), &variable.2)?, Vec::new()))
            }
            Expr::Dot(chain, flags, _) => {
                let Expr::Variable(variable, _, _) = &chain.lhs else {
                    return None;
                };
                let mut steps = Vec::new();
                self.steps(&chain.rhs, flags.contains(ASTFlags::NEGATED), &mut steps)?;
                Some(self.path_node(self.slot(variable.1.as_str(), &variable.2)?, steps))
            }
            Expr::Index(index, flags, _) => {
                let Expr::Variable(variable, _, _) = &index.lhs else {
                    return None;
                };
                let mut steps = Vec::new();
                self.index_rest(&index.rhs, *flags, &mut steps)?;
                Some(self.path_node(self.slot(variable.1.as_str(), &variable.2)?, steps))
            }
            _ => None,
        }
    }

    fn path_node(&self, slot: usize, steps: Vec<Step>) -> Node {
        // A computed key may read `item`: such a path is not one value per deal.
        let computed = steps
            .iter()
            .any(|step| matches!(step.kind, StepKind::Key(_)));
        let memo = if slot == self.per_item || computed {
            None
        } else {
            self.memo.number(format!("{slot}{steps:?}"))
        };
        Node::Path {
            slot,
            steps,
            memo,
            keyed: computed,
        }
    }

    fn slot(&self, name: &str, namespace: &rhai::Namespace) -> Option<usize> {
        if !namespace.is_empty() {
            return None;
        }
        self.layout.iter().position(|known| *known == name)
    }

    /// The steps of the right-hand side of a `.` chain. `elvis`: the `.` before it is `?.`.
    fn steps(&self, expr: &Expr, elvis: bool, steps: &mut Vec<Step>) -> Option<()> {
        match expr {
            Expr::Property(property, _) => {
                steps.push(Step {
                    elvis,
                    kind: StepKind::Field(property.2.clone()),
                });
                Some(())
            }
            Expr::MethodCall(call, _) => {
                let is_len = call.name == "len"
                    && call.args.is_empty()
                    && !self.script_functions.contains(&"len");
                is_len.then(|| {
                    steps.push(Step {
                        elvis,
                        kind: StepKind::Len,
                    })
                })
            }
            Expr::Dot(chain, flags, _) => {
                self.steps(&chain.lhs, elvis, steps)?;
                self.steps(&chain.rhs, flags.contains(ASTFlags::NEGATED), steps)
            }
            Expr::Index(index, flags, _) => {
                self.steps(&index.lhs, elvis, steps)?;
                self.index_rest(&index.rhs, *flags, steps)
            }
            _ => None,
        }
    }

    /// What follows a `[` of an index node with `flags`. rhai binds a chain to the right:
    /// where the index ends the chain (`BREAK`), `rest` is the key; otherwise it is a `.`
    /// or `[` node whose left side is the key and whose right side continues the chain
    /// (`a[k].b` is `a[Dot(k, b)]`).
    fn index_rest(&self, rest: &Expr, flags: ASTFlags, steps: &mut Vec<Step>) -> Option<()> {
        let elvis = flags.contains(ASTFlags::NEGATED);
        if flags.contains(ASTFlags::BREAK) {
            steps.push(self.index_step(rest, elvis)?);
            return Some(());
        }
        match rest {
            Expr::Dot(next, next_flags, _) => {
                steps.push(self.index_step(&next.lhs, elvis)?);
                self.steps(&next.rhs, next_flags.contains(ASTFlags::NEGATED), steps)
            }
            Expr::Index(next, next_flags, _) => {
                steps.push(self.index_step(&next.lhs, elvis)?);
                self.index_rest(&next.rhs, *next_flags, steps)
            }
            _ => None,
        }
    }

    /// `["key"]` or `[0]`, or a key computed by an expression evaluated here.
    fn index_step(&self, key: &Expr, elvis: bool) -> Option<Step> {
        let kind = match key {
            Expr::StringConstant(key, _) => StepKind::Field(key.clone()),
            // A negative position counts from the end in rhai; left to rhai.
            Expr::IntegerConstant(position, _) => {
                StepKind::Position(usize::try_from(*position).ok()?)
            }
            key => match self.expr(key) {
                Node::Unknown => return None,
                key => StepKind::Key(Box::new(key)),
            },
        };
        Some(Step { elvis, kind })
    }
}

/// [`Direct::eval_value`]: lists and maps are built or copied; everything else is a
/// [`Scalar`] made a value.
fn value(node: &Node, slots: &Slots, memo: &mut Memo) -> Option<Dynamic> {
    match node {
        Node::Path {
            slot, steps, keyed, ..
        } => {
            let mut copy = None;
            let keys = computed_keys(*keyed, steps, slots, memo)?;
            walk_from(root(slots, *slot)?, steps, &keys, &mut |value| {
                if value.is_shared() {
                    return None;
                }
                copy = Some(value.clone());
                Some(Scalar::Unit)
            })?;
            // `walk` ends early with `()` on a `?.` of nothing, and `.len()` is a number.
            copy.or_else(|| eval(node, slots, memo)?.into_dynamic())
        }
        Node::List(elements) => {
            let elements = elements
                .iter()
                .map(|element| value(element, slots, memo))
                .collect::<Option<rhai::Array>>()?;
            Some(Dynamic::from_array(elements))
        }
        Node::Map(entries) => {
            let mut map = rhai::Map::new();
            for (key, entry) in entries {
                map.insert(key.as_str().into(), value(entry, slots, memo)?);
            }
            Some(Dynamic::from_map(map))
        }
        // `map + map`: the right map's keys win, as in rhai's `+` for maps; numbers add.
        Node::Add(left, right) => {
            let left = value(left, slots, memo)?;
            let right = value(right, slots, memo)?;
            if left.is_map() && right.is_map() {
                let mut merged = left.try_cast::<rhai::Map>()?;
                merged.extend(right.try_cast::<rhai::Map>()?);
                return Some(Dynamic::from_map(merged));
            }
            arithmetic(Scalar::of(&left)?, Scalar::of(&right)?, false)?.into_dynamic()
        }
        Node::If {
            condition,
            then,
            otherwise,
        } => match eval(condition, slots, memo)? {
            Scalar::Bool(true) => value(then, slots, memo),
            Scalar::Bool(false) => value(otherwise, slots, memo),
            _ => None,
        },
        Node::Call { name, args } => {
            // Arguments are copied, as rhai passes them to a script function.
            let args = args
                .iter()
                .map(|arg| value(arg, slots, memo))
                .collect::<Option<Vec<Dynamic>>>()?;
            slots.functions?.call(name, args)
        }
        _ => eval(node, slots, memo)?.into_dynamic(),
    }
}

fn eval(node: &Node, slots: &Slots, memo: &mut Memo) -> Option<Scalar> {
    match node {
        Node::Constant(value) => Some(value.clone()),
        Node::Path {
            slot,
            steps,
            memo: None,
            keyed,
        } => walk_from(
            root(slots, *slot)?,
            steps,
            &computed_keys(*keyed, steps, slots, memo)?,
            &mut |value| Scalar::of(value),
        ),
        Node::Path {
            slot,
            steps,
            memo: Some(number),
            ..
        } => {
            if let Some(Some(known)) = memo.values.get(*number) {
                return Some(known.clone());
            }
            let value = walk_from(root(slots, *slot)?, steps, &[], &mut |value| {
                Scalar::of(value)
            })?;
            if memo.values.len() <= *number {
                memo.values.resize(number + 1, None);
            }
            memo.values[*number] = Some(value.clone());
            Some(value)
        }
        Node::Not(operand) => match eval(operand, slots, memo)? {
            Scalar::Bool(flag) => Some(Scalar::Bool(!flag)),
            _ => None,
        },
        Node::And(operands) => short_circuit(operands, false, slots, memo),
        Node::Or(operands) => short_circuit(operands, true, slots, memo),
        Node::Coalesce(operands) => {
            let mut value = Scalar::Unit;
            for operand in operands {
                value = eval(operand, slots, memo)?;
                if value != Scalar::Unit {
                    break;
                }
            }
            Some(value)
        }
        Node::Compare(comparison, left, right) => compare(
            *comparison,
            &eval(left, slots, memo)?,
            &eval(right, slots, memo)?,
        )
        .map(Scalar::Bool),
        Node::Add(left, right) => {
            arithmetic(eval(left, slots, memo)?, eval(right, slots, memo)?, false)
        }
        Node::Subtract(left, right) => {
            arithmetic(eval(left, slots, memo)?, eval(right, slots, memo)?, true)
        }
        Node::Divide(left, right) => match (eval(left, slots, memo)?, eval(right, slots, memo)?) {
            // Division by zero and overflow are errors in rhai.
            (Scalar::Int(a), Scalar::Int(b)) => a.checked_div(b).map(Scalar::Int),
            _ => None,
        },
        Node::In { item, list } => {
            let item = eval(item, slots, memo)?;
            let Node::Path {
                slot, steps, keyed, ..
            } = list.as_ref()
            else {
                return None;
            };
            let keys = computed_keys(*keyed, steps, slots, memo)?;
            walk_from(root(slots, *slot)?, steps, &keys, &mut |container| {
                if let Ok(map) = container.as_map_ref() {
                    // `key in map`: whether the map has that key (a string only here).
                    let Scalar::Str(key) = &item else {
                        return None;
                    };
                    return Some(Scalar::Bool(map.contains_key(key.as_str())));
                }
                let list = container.as_array_ref().ok()?;
                for element in list.iter() {
                    if compare(Comparison::Equal, &Scalar::of(element)?, &item)? {
                        return Some(Scalar::Bool(true));
                    }
                }
                Some(Scalar::Bool(false))
            })
        }
        Node::If {
            condition,
            then,
            otherwise,
        } => match eval(condition, slots, memo)? {
            Scalar::Bool(true) => eval(then, slots, memo),
            Scalar::Bool(false) => eval(otherwise, slots, memo),
            _ => None,
        },
        Node::Call { .. } => Scalar::of(&value(node, slots, memo)?),
        Node::List(_) | Node::Map(_) | Node::Unknown => None,
    }
}

/// `&&` (stopping at the first `false`) or `||` (at the first `true`); every operand read
/// must be a boolean, as rhai requires.
fn short_circuit(
    operands: &[Node],
    stop_at: bool,
    slots: &Slots,
    memo: &mut Memo,
) -> Option<Scalar> {
    for operand in operands {
        match eval(operand, slots, memo)? {
            Scalar::Bool(flag) if flag == stop_at => return Some(Scalar::Bool(stop_at)),
            Scalar::Bool(_) => {}
            _ => return None,
        }
    }
    Some(Scalar::Bool(!stop_at))
}

/// The scope value in `slot`. Every value of a deal's scope is constant except a derived
/// value not computed yet (a placeholder): reading one is left to the caller, who
/// computes it and asks again.
fn root<'s>(slots: &Slots<'s>, slot: usize) -> Option<&'s Dynamic> {
    slots
        .get(slot)
        .filter(|value| value.is_read_only() || value.is::<LazyFacts>())
}

/// [`walk`] from a scope value: the deal's facts, while they stand as [`LazyFacts`], give
/// the field named by the first step (anything else of them is left to rhai, which
/// reads the whole map).
fn walk_from(
    root: &Dynamic,
    steps: &[Step],
    keys: &[Scalar],
    leaf: &mut dyn FnMut(&Dynamic) -> Option<Scalar>,
) -> Option<Scalar> {
    if let Some(lazy) = root.read_lock::<LazyFacts>() {
        let (
            Step {
                kind: StepKind::Field(name),
                ..
            },
            rest,
        ) = steps.split_first()?
        else {
            return None;
        };
        // A path into a field not built yet is followed in the field's Rust value.
        if !rest.is_empty() {
            if let Some(Sought::Reached(reached)) =
                lazy.visit_unbuilt(name, Seek::new(rest, &mut *leaf))
            {
                return reached;
            }
        }
        return walk(lazy.field(name)?, rest, keys, leaf);
    }
    walk(root, steps, keys, leaf)
}

/// The values of a path's computed keys, in order. rhai evaluates every key of a chain
/// before it follows the chain, so a key that fails fails the path even where a `?.`
/// before it would have ended the path with `()`.
fn computed_keys(
    keyed: bool,
    steps: &[Step],
    slots: &Slots,
    memo: &mut Memo,
) -> Option<Vec<Scalar>> {
    if !keyed {
        return Some(Vec::new());
    }
    steps
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Key(key) => Some(eval(key, slots, memo)),
            _ => None,
        })
        .collect()
}

/// Follows `steps` from `value` and hands the value reached to `leaf`. A missing field or
/// a field of something that is not a map is an error in rhai (the engine fails on invalid
/// properties), so rhai must report it.
fn walk(
    value: &Dynamic,
    steps: &[Step],
    keys: &[Scalar],
    leaf: &mut dyn FnMut(&Dynamic) -> Option<Scalar>,
) -> Option<Scalar> {
    let Some((step, rest)) = steps.split_first() else {
        return leaf(value);
    };
    if value.is_shared() {
        return None;
    }
    if step.elvis && value.is_unit() {
        return Some(Scalar::Unit);
    }
    match &step.kind {
        StepKind::Field(name) => {
            let map = value.as_map_ref().ok()?;
            let field = map.get(name.as_str())?;
            walk(field, rest, keys, leaf)
        }
        StepKind::Position(position) => {
            let list = value.as_array_ref().ok()?;
            walk(list.get(*position)?, rest, keys, leaf)
        }
        // Only a string into a map and a position into a list: anything else (a missing
        // key, a negative position, a character) is left to rhai.
        StepKind::Key(_) => {
            let (key, keys) = keys.split_first()?;
            match key {
                Scalar::Str(name) => {
                    let map = value.as_map_ref().ok()?;
                    walk(map.get(name.as_str())?, rest, keys, leaf)
                }
                Scalar::Int(position) => {
                    let list = value.as_array_ref().ok()?;
                    walk(
                        list.get(usize::try_from(*position).ok()?)?,
                        rest,
                        keys,
                        leaf,
                    )
                }
                _ => None,
            }
        }
        StepKind::Len if rest.is_empty() => {
            let length = if let Ok(list) = value.as_array_ref() {
                list.len()
            } else if let Ok(map) = value.as_map_ref() {
                map.len()
            } else if value.is_string() {
                value.clone().into_immutable_string().ok()?.chars().count()
            } else {
                return None;
            };
            Some(Scalar::Int(INT::try_from(length).ok()?))
        }
        StepKind::Len => None,
    }
}

/// rhai's built-in comparison operators (with fast operators, the default): numbers of
/// either kind compare as numbers, floats within a relative epsilon; values of different
/// non-numeric types are unequal and never less or greater; `()` equals `()`.
fn compare(comparison: Comparison, left: &Scalar, right: &Scalar) -> Option<bool> {
    use Comparison::*;
    match (left, right) {
        (Scalar::Int(a), Scalar::Int(b)) => Some(comparison.holds(a.cmp(b))),
        (Scalar::Float(_), Scalar::Float(_) | Scalar::Int(_))
        | (Scalar::Int(_), Scalar::Float(_)) => Some(compare_floats(
            comparison,
            as_float(left)?,
            as_float(right)?,
        )),
        (Scalar::Str(a), Scalar::Str(b)) => Some(comparison.holds(a.cmp(b))),
        // false < true, as in rhai.
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(comparison.holds(a.cmp(b))),
        (Scalar::Unit, Scalar::Unit) => Some(comparison == Equal),
        _ if left.kind() != right.kind() && !(left.is_numeric() && right.is_numeric()) => {
            Some(comparison == NotEqual)
        }
        _ => None,
    }
}

fn as_float(value: &Scalar) -> Option<f64> {
    match value {
        Scalar::Int(number) => Some(*number as f64),
        Scalar::Float(number) => Some(*number),
        _ => None,
    }
}

/// rhai's float comparisons (checked build): relative to the larger magnitude, within
/// `f64::EPSILON`.
fn compare_floats(comparison: Comparison, x: f64, y: f64) -> bool {
    use Comparison::*;
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    if max == 0.0 {
        return matches!(comparison, Equal | LessOrEqual | GreaterOrEqual);
    }
    match comparison {
        Equal => (x - y).abs() / max <= f64::EPSILON,
        NotEqual => (x - y).abs() / max > f64::EPSILON,
        Greater => (x - y) / max > f64::EPSILON,
        GreaterOrEqual => (x - y) / max > -f64::EPSILON,
        Less => (y - x) / max > f64::EPSILON,
        LessOrEqual => (y - x) / max > -f64::EPSILON,
    }
}

/// `+` and `-` on numbers; integer overflow is an error in rhai, so rhai reports it.
fn arithmetic(left: Scalar, right: Scalar, subtract: bool) -> Option<Scalar> {
    match (&left, &right) {
        (Scalar::Int(a), Scalar::Int(b)) => {
            let result = if subtract {
                a.checked_sub(*b)
            } else {
                a.checked_add(*b)
            };
            result.map(Scalar::Int)
        }
        (Scalar::Float(_), Scalar::Float(_) | Scalar::Int(_))
        | (Scalar::Int(_), Scalar::Float(_)) => {
            let (a, b) = (as_float(&left)?, as_float(&right)?);
            Some(Scalar::Float(if subtract { a - b } else { a + b }))
        }
        _ => None,
    }
}

mod seek;

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Scope;

    /// Each expression, evaluated directly, gives what rhai gives — or `None` (ask rhai)
    /// where rhai fails or the expression is out of reach.
    #[test]
    fn direct_values_match_rhai_or_defer_to_it() {
        let engine =
            super::super::sandbox::sandboxed_engine(&super::super::SandboxLimits::default());
        let mut scope = Scope::new();
        let facts = engine
            .eval::<Dynamic>(
                r#"#{ open: true, n: 3, big: 9223372036854775807, f: 0.5, tiny: 0.30000000000000004,
                     s: "won", none: (), list: ["a", "b", 3], map: #{ x: 1, inner: () }, key: "x",
                     tiers: #{ x: #{ visits: 4, list: [7, 8] } } }"#,
            )
            .expect("facts");
        scope.push_constant_dynamic("facts", facts);
        scope.push_constant_dynamic("item", Dynamic::from("a"));
        let layout = ["facts", "item"];
        let cases: &[(&str, Option<Scalar>)] = &[
            ("facts.open && facts.n > 2", Some(Scalar::Bool(true))),
            ("!facts.open && facts.missing", Some(Scalar::Bool(false))),
            ("facts.n == 3.0", Some(Scalar::Bool(true))),
            ("facts.tiny == 0.3", Some(Scalar::Bool(true))),
            ("facts.f < 1", Some(Scalar::Bool(true))),
            ("facts.none < 3", Some(Scalar::Bool(false))),
            ("facts.none != 3", Some(Scalar::Bool(true))),
            ("facts.s == ()", Some(Scalar::Bool(false))),
            ("facts.none == ()", Some(Scalar::Bool(true))),
            ("facts.s > \"apple\"", Some(Scalar::Bool(true))),
            ("facts.list != ()", Some(Scalar::Bool(true))),
            ("facts.list.len()", Some(Scalar::Int(3))),
            ("facts.s.len()", Some(Scalar::Int(3))),
            ("facts.map[\"x\"] + 1", Some(Scalar::Int(2))),
            ("facts.none?.x", Some(Scalar::Unit)),
            ("facts.none?.x.y", Some(Scalar::Unit)),
            ("facts.map.inner?.y", Some(Scalar::Unit)),
            ("facts.none ?? 7", Some(Scalar::Int(7))),
            ("item in facts.list", Some(Scalar::Bool(true))),
            ("\"x\" in facts.map", Some(Scalar::Bool(true))),
            ("item in facts.map", Some(Scalar::Bool(false))),
            ("facts.map[facts.key] + 1", Some(Scalar::Int(2))),
            ("facts.list[facts.n - 2]", Some(Scalar::Str("b".into()))),
            ("facts.map[item] ?? 0", None),
            ("facts.list[facts.n - 4]", None),
            ("facts.n in facts.map", None),
            ("facts.tiers[facts.key].visits", Some(Scalar::Int(4))),
            ("facts.tiers[facts.key].list[1]", Some(Scalar::Int(8))),
            ("facts.tiers[facts.key][\"visits\"]", Some(Scalar::Int(4))),
            ("facts.tiers?[facts.key]?.visits", Some(Scalar::Int(4))),
            (
                "facts.tiers[facts.key].list[facts.n - 2]",
                Some(Scalar::Int(8)),
            ),
            ("facts.none?[facts.key]", Some(Scalar::Unit)),
            // rhai reads every key of a chain first: a failing key fails the path.
            ("facts.none?[facts.missing]", None),
            ("\"c\" in facts.list", Some(Scalar::Bool(false))),
            (
                "if facts.n > 5 { 1 } else if facts.open { 2 } else { 3 }",
                Some(Scalar::Int(2)),
            ),
            ("facts.n / 2", Some(Scalar::Int(1))),
            ("if facts.n > 5 { 1 }", Some(Scalar::Unit)),
            // rhai reports these: a missing field, a field of (), overflow, a non-bool `&&`,
            // division by zero, a list compared with a list.
            ("facts.missing", None),
            ("facts.none.x", None),
            ("facts.big + 1", None),
            ("facts.n && facts.open", None),
            ("facts.n / 0", None),
            ("facts.list == facts.list", None),
        ];
        // Compiled as the engine compiles rules: against names, not the values (constants
        // in the scope would be folded into the script by rhai's optimiser).
        let mut names = Scope::new();
        for name in layout {
            names.push_dynamic(name, Dynamic::UNIT);
        }
        for (source, expected) in cases {
            let ast = engine.compile_with_scope(&names, source).expect(source);
            let direct = Direct::compile(&ast, &layout, &[], 1, &MemoNumbers::default());
            let value = direct.and_then(|direct| direct.eval(&slots(&scope), &mut Memo::default()));
            assert_eq!(&value, expected, "{source}");
            let by_rhai = engine.eval_ast_with_scope::<Dynamic>(&mut scope.clone(), &ast);
            match (value.and_then(Scalar::into_dynamic), by_rhai) {
                (Some(direct), Ok(rhai)) => {
                    assert_eq!(direct.to_string(), rhai.to_string(), "{source}");
                    assert_eq!(direct.type_name(), rhai.type_name(), "{source}");
                }
                (None, _) => {}
                (Some(direct), Err(error)) => {
                    panic!("{source}: direct gave {direct}, rhai failed: {error}")
                }
            }
        }
    }
    /// A function of `rules/*.rhai` in an expression is run with the arguments evaluated
    /// directly, and gives what rhai gives; when it fails, the whole script is left to
    /// rhai, which reports the failure.
    #[test]
    fn a_script_function_is_called_with_direct_arguments() {
        let engine =
            super::super::sandbox::sandboxed_engine(&super::super::SandboxLimits::default());
        let library = engine
            .compile(
                r#"fn double(n) { n * 2 }
                   fn first_kind(list, kind) { for x in list { if x.kind == kind { return x.n; } } () }
                   fn broken(n) { n.missing }"#,
            )
            .expect("library");
        struct Library<'a>(&'a rhai::Engine, &'a AST);
        impl ScriptFunctions for Library<'_> {
            fn call(&self, name: &str, args: Vec<Dynamic>) -> Option<Dynamic> {
                self.0
                    .call_fn::<Dynamic>(&mut Scope::new(), self.1, name, args)
                    .ok()
            }
        }
        let functions = Library(&engine, &library);
        let facts = engine
            .eval::<Dynamic>(r#"#{ n: 3, list: [#{ kind: "a", n: 1 }, #{ kind: "b", n: 2 }] }"#)
            .expect("facts");
        let mut scope = Scope::new();
        scope.push_constant_dynamic("facts", facts);
        let mut names = Scope::new();
        names.push_dynamic("facts", Dynamic::UNIT);
        let known = ["double", "first_kind", "broken"];
        let cases: &[(&str, Option<Scalar>)] = &[
            ("double(facts.n) + 1", Some(Scalar::Int(7))),
            (
                "facts.n > 2 && double(facts.n) == 6",
                Some(Scalar::Bool(true)),
            ),
            ("first_kind(facts.list, \"b\")", Some(Scalar::Int(2))),
            (
                "first_kind(facts.list, \"c\") == ()",
                Some(Scalar::Bool(true)),
            ),
            // The function fails: rhai must run the script and say why.
            ("broken(facts.n)", None),
            // Its argument fails: likewise.
            ("double(facts.missing)", None),
        ];
        for (source, expected) in cases {
            let ast = engine.compile_with_scope(&names, source).expect(source);
            let direct = Direct::compile(&ast, &["facts"], &known, 1, &MemoNumbers::default())
                .expect(source);
            let values = slots(&scope).calling(&functions);
            let value = direct.eval(&values, &mut Memo::default());
            assert_eq!(&value, expected, "{source}");
            // Without a way to call the functions, the script is left to rhai.
            assert_eq!(direct.eval(&slots(&scope), &mut Memo::default()), None);
            let mut with_library = Scope::new();
            with_library.push_constant_dynamic(
                "facts",
                scope.get_value::<Dynamic>("facts").expect("facts"),
            );
            let by_rhai =
                engine.eval_ast_with_scope::<Dynamic>(&mut with_library, &library.merge(&ast));
            if let (Some(direct), Ok(rhai)) = (value.and_then(Scalar::into_dynamic), by_rhai) {
                assert_eq!(direct.to_string(), rhai.to_string(), "{source}");
            }
        }
    }

    /// A path through a key read from `item` is one value per element, not per deal: the
    /// deal's memo must not hand the first element's value to the next.
    #[test]
    fn a_key_read_from_item_is_not_remembered_across_elements() {
        let engine =
            super::super::sandbox::sandboxed_engine(&super::super::SandboxLimits::default());
        let facts = engine
            .eval::<Dynamic>("#{ visits: #{ a: 1, b: 2 } }")
            .expect("facts");
        let mut names = Scope::new();
        names.push_dynamic("facts", Dynamic::UNIT);
        names.push_dynamic("item", Dynamic::UNIT);
        let ast_plain = engine
            .compile_with_scope(&names, "facts.visits[item]")
            .expect("compiles");
        let numbers = MemoNumbers::default();
        let direct = Direct::compile(&ast_plain, &["facts", "item"], &[], 1, &numbers)
            .expect("a computed key is evaluated directly");
        let mut memo = Memo::default();
        for (item, expected) in [("a", 1), ("b", 2), ("a", 1)] {
            let mut scope = Scope::new();
            scope.push_constant_dynamic("facts", facts.clone());
            scope.push_constant_dynamic("item", Dynamic::from(item));
            assert_eq!(
                direct.eval(&slots(&scope), &mut memo),
                Some(Scalar::Int(expected)),
                "item {item}"
            );
        }
    }
}
