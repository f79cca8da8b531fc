//! Python source → the small tree the settings reader needs: classes with
//! their bases, annotated fields, plain assignments (enum members,
//! `model_config`), nested classes and methods; imports; and expressions as a
//! closed [`Expr`] type. tree-sitter does the parsing; this module only
//! converts, so everything after it is plain Rust over plain data.
//!
//! It reads no other file and judges nothing. Syntax errors are returned with
//! their line and column; recursion is bounded so a hostile file cannot
//! overflow the stack.

use std::collections::HashMap;

use tree_sitter::{Node, Parser};

/// Deeper expressions than this become [`Expr::Other`]: no settings file
/// nests annotations or defaults this far, and the bound keeps recursion safe.
const MAX_DEPTH: usize = 48;

/// A Python expression, as far as settings need one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `name`
    Name(String),
    /// `value.attr`
    Attr(Box<Expr>, String),
    /// A string literal (prefixes and escapes of plain strings applied); f-strings are `Other`.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `True` / `False`
    Bool(bool),
    /// `None`
    None,
    /// `...`
    Ellipsis,
    /// `[a, b]`
    List(Vec<Expr>),
    /// `(a, b)`
    Tuple(Vec<Expr>),
    /// `{a, b}`
    Set(Vec<Expr>),
    /// `{k: v}`
    Dict(Vec<(Expr, Expr)>),
    /// `f(args, k=v)`; `star` is set when `*x` or `**x` is passed.
    Call {
        /// The called expression.
        func: Box<Expr>,
        /// Positional arguments.
        args: Vec<Expr>,
        /// Keyword arguments in order.
        kwargs: Vec<(String, Expr)>,
        /// `*args` or `**kwargs` present: the argument list is not fully known.
        star: bool,
    },
    /// `value[a, b]`
    Subscript(Box<Expr>, Vec<Expr>),
    /// `a | b`
    Or(Box<Expr>, Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `lambda: …`
    Lambda,
    /// Anything else, kept as source text for messages.
    Other(String),
}

impl Expr {
    /// The dotted name of `a.b.c` or `a`, if it is one.
    pub(crate) fn dotted(&self) -> Option<String> {
        match self {
            Expr::Name(n) => Some(n.clone()),
            Expr::Attr(v, a) => v.dotted().map(|d| format!("{d}.{a}")),
            _ => None,
        }
    }

    /// The last segment of a dotted name (`typing.Optional` → `Optional`).
    pub(crate) fn last_name(&self) -> Option<&str> {
        match self {
            Expr::Name(n) => Some(n),
            Expr::Attr(_, a) => Some(a),
            _ => None,
        }
    }

    /// A keyword argument of a call.
    pub(crate) fn kwarg(&self, name: &str) -> Option<&Expr> {
        match self {
            Expr::Call { kwargs, .. } => kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// An annotated class attribute: `name: annotation = value`.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    /// The attribute name.
    pub name: String,
    /// 1-based line of the name.
    pub line: usize,
    /// The annotation.
    pub annotation: Expr,
    /// The assigned value, if any.
    pub value: Option<Expr>,
}

/// A class definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassDef {
    /// The class name.
    pub name: String,
    /// 1-based line of `class`.
    pub line: usize,
    /// Base classes in order (keyword arguments such as `metaclass=` left out).
    pub bases: Vec<Expr>,
    /// Keyword arguments of the class statement (`class S(BaseSettings, env_prefix="X")`).
    pub class_kwargs: Vec<(String, Expr)>,
    /// Annotated attributes in order.
    pub fields: Vec<FieldDef>,
    /// Plain `name = value` assignments in order (enum members, `model_config`).
    pub assigns: Vec<(String, usize, Expr)>,
    /// Classes defined in the body.
    pub classes: Vec<ClassDef>,
    /// Names of methods defined in the body (with their decorators' names).
    pub methods: Vec<String>,
    /// `@field_validator` methods, as far as their raises can be read.
    pub validators: Vec<Validator>,
}

/// A `@field_validator("x")` method, reduced to the raises it makes that
/// readyctl can read for certain: `if COND: raise …` statements reached
/// without a `return` or an assignment before them, optionally all inside
/// one leading `if info.data.get("f") == VALUE:` (the guard).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Validator {
    /// The method name.
    pub name: String,
    /// The fields it validates.
    pub fields: Vec<String>,
    /// `mode=` as written (`after` when absent).
    pub mode: String,
    /// 1-based line of the `def`.
    pub line: usize,
    /// `info.data.get("f") == VALUE` around the raises: the field and the value.
    pub guard: Option<(String, Expr)>,
    /// The raises, in order.
    pub raises: Vec<Raise>,
}

/// `if COND: raise …` in a validator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raise {
    /// The parts of an `or` that each make it raise (the value is `v`).
    pub when: Vec<Cond>,
    /// 1-based line of the `raise`.
    pub line: usize,
    /// The first string literal of the raised exception, if any.
    pub message: Option<String>,
}

/// A condition on the validated value that readyctl can evaluate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    /// `not v`: empty (for a string).
    Falsy,
    /// `v in (a, b)`.
    In(Vec<Expr>),
    /// `len(v) < n` (`<= n` is stored as `< n + 1`).
    LenLt(i64),
}

/// One parsed module.
#[derive(Debug, Clone, Default)]
pub(crate) struct Module {
    /// Top-level classes.
    pub classes: Vec<ClassDef>,
    /// Local name → (module as written, with leading dots; imported name or `None` for `import m`).
    pub imports: HashMap<String, (String, Option<String>)>,
    /// Top-level `NAME = literal` assignments (constants a default may name).
    pub constants: HashMap<String, Expr>,
}

/// A syntax error at a place in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong there.
    pub message: String,
}

/// Parses Python source into a [`Module`]; every syntax error is returned.
pub(crate) fn parse(src: &str) -> Result<Module, Vec<SyntaxError>> {
    let mut parser = Parser::new();
    if let Err(e) = parser.set_language(&tree_sitter_python::LANGUAGE.into()) {
        return Err(vec![SyntaxError {
            line: 1,
            column: 1,
            message: format!("the bundled Python grammar does not fit the parser: {e}"),
        }]);
    }
    let Some(tree) = parser.parse(src, None) else {
        return Err(vec![SyntaxError {
            line: 1,
            column: 1,
            message: "the Python parser gave up on this file".into(),
        }]);
    };
    let root = tree.root_node();
    if root.has_error() {
        let mut errors = Vec::new();
        collect_errors(src.as_bytes(), root, &mut errors, 0);
        if errors.is_empty() {
            errors.push(SyntaxError {
                line: 1,
                column: 1,
                message: "invalid Python syntax".into(),
            });
        }
        return Err(errors);
    }
    let cx = Cx {
        src: src.as_bytes(),
    };
    let mut module = Module::default();
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        match stmt.kind() {
            "class_definition" => module.classes.push(cx.class(stmt)),
            "decorated_definition" => {
                if let Some(d) = stmt.child_by_field_name("definition")
                    && d.kind() == "class_definition"
                {
                    module.classes.push(cx.class(d));
                }
            }
            "import_from_statement" => cx.import_from(stmt, &mut module.imports),
            "import_statement" => {
                let mut c = stmt.walk();
                for n in stmt.named_children(&mut c) {
                    let (name, alias) = match n.kind() {
                        "aliased_import" => (
                            n.child_by_field_name("name").map(|x| cx.text(x)),
                            n.child_by_field_name("alias").map(|x| cx.text(x)),
                        ),
                        _ => (Some(cx.text(n)), None),
                    };
                    if let Some(name) = name {
                        // `import a.b` binds `a` (the package); `import a.b as m` binds the module.
                        let (local, target) = match alias {
                            Some(a) => (a, name),
                            None => {
                                let top = name.split('.').next().unwrap_or("").to_string();
                                (top.clone(), top)
                            }
                        };
                        module.imports.insert(local, (target, None));
                    }
                }
            }
            "expression_statement" => {
                if let Some(a) = stmt.named_child(0)
                    && a.kind() == "assignment"
                    && let (Some(l), Some(r)) = (
                        a.child_by_field_name("left"),
                        a.child_by_field_name("right"),
                    )
                    && l.kind() == "identifier"
                {
                    module.constants.insert(cx.text(l), cx.expr(r, 0));
                }
            }
            _ => {}
        }
    }
    Ok(module)
}

fn collect_errors(src: &[u8], node: Node, out: &mut Vec<SyntaxError>, depth: usize) {
    if out.len() >= 20 || depth > 200 {
        return;
    }
    if node.is_missing() {
        let p = node.start_position();
        out.push(SyntaxError {
            line: p.row + 1,
            column: p.column + 1,
            message: format!("expected `{}` here", node.kind()),
        });
        return;
    }
    if node.is_error() {
        // An ERROR node often spans from the statement that went wrong to
        // the end; a MISSING inside it, or the last token it swallowed, is
        // where Python itself would point.
        let before = out.len();
        let mut c = node.walk();
        for ch in node.children(&mut c) {
            if ch.is_missing() || ch.has_error() {
                collect_errors(src, ch, out, depth + 1);
            }
        }
        if out.len() == before {
            let mut last = node;
            while let Some(ch) = last.child(last.child_count().saturating_sub(1) as u32) {
                last = ch;
            }
            let p = last.start_position();
            let near = src
                .get(last.byte_range())
                .and_then(|b| std::str::from_utf8(b).ok())
                .filter(|t| !t.is_empty() && t.len() <= 40);
            out.push(SyntaxError {
                line: p.row + 1,
                column: p.column + 1,
                message: match near {
                    Some(t) => format!("invalid Python syntax near `{t}`"),
                    None => format!("invalid Python syntax near `{}`", last.kind()),
                },
            });
        }
        return;
    }
    let mut c = node.walk();
    for ch in node.children(&mut c) {
        if ch.has_error() || ch.is_missing() {
            collect_errors(src, ch, out, depth + 1);
        }
    }
}

struct Cx<'a> {
    src: &'a [u8],
}

impl Cx<'_> {
    fn text(&self, n: Node) -> String {
        // Slice by hand: `utf8_text` panics on a range outside the source.
        self.src
            .get(n.byte_range())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
            .to_string()
    }

    fn class(&self, node: Node) -> ClassDef {
        let mut c = ClassDef {
            name: node
                .child_by_field_name("name")
                .map(|n| self.text(n))
                .unwrap_or_default(),
            line: node.start_position().row + 1,
            ..ClassDef::default()
        };
        if let Some(sup) = node.child_by_field_name("superclasses") {
            let mut cur = sup.walk();
            for a in sup.named_children(&mut cur) {
                match a.kind() {
                    "keyword_argument" => {
                        if let (Some(k), Some(v)) = (
                            a.child_by_field_name("name"),
                            a.child_by_field_name("value"),
                        ) {
                            c.class_kwargs.push((self.text(k), self.expr(v, 0)));
                        }
                    }
                    "comment" => {}
                    _ => c.bases.push(self.expr(a, 0)),
                }
            }
        }
        let Some(body) = node.child_by_field_name("body") else {
            return c;
        };
        let mut cur = body.walk();
        for stmt in body.named_children(&mut cur) {
            match stmt.kind() {
                "class_definition" => c.classes.push(self.class(stmt)),
                "function_definition" => {
                    if let Some(n) = stmt.child_by_field_name("name") {
                        c.methods.push(self.text(n));
                    }
                }
                "decorated_definition" => {
                    if let Some(d) = stmt.child_by_field_name("definition") {
                        if d.kind() == "class_definition" {
                            c.classes.push(self.class(d));
                        } else if let Some(n) = d.child_by_field_name("name") {
                            c.methods.push(self.text(n));
                            if let Some(v) = self.validator(stmt, d) {
                                c.validators.push(v);
                            }
                        }
                    }
                }
                "expression_statement" => {
                    let Some(a) = stmt.named_child(0) else {
                        continue;
                    };
                    if a.kind() != "assignment" {
                        continue;
                    }
                    let Some(left) = a.child_by_field_name("left") else {
                        continue;
                    };
                    if left.kind() != "identifier" {
                        continue;
                    }
                    let name = self.text(left);
                    let line = left.start_position().row + 1;
                    let value = a.child_by_field_name("right").map(|r| self.expr(r, 0));
                    match a.child_by_field_name("type") {
                        Some(t) => c.fields.push(FieldDef {
                            name,
                            line,
                            annotation: self.expr(t, 0),
                            value,
                        }),
                        None => {
                            if let Some(v) = value {
                                c.assigns.push((name, line, v));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        c
    }

    /// A `@field_validator` method's readable raises (see [`Validator`]).
    fn validator(&self, decorated: Node, def: Node) -> Option<Validator> {
        let mut cur = decorated.walk();
        let call = decorated
            .named_children(&mut cur)
            .filter(|n| n.kind() == "decorator")
            .filter_map(|n| n.named_child(0))
            .map(|e| self.expr(e, 0))
            .find(|e| matches!(e, Expr::Call { func, .. } if func.last_name() == Some("field_validator")))?;
        let Expr::Call { args, .. } = &call else {
            return None;
        };
        let fields: Vec<String> = args
            .iter()
            .filter_map(|a| match a {
                Expr::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let mode = match call.kwarg("mode") {
            Some(Expr::Str(m)) => m.clone(),
            None => "after".into(),
            Some(_) => return None,
        };
        // def f(cls, v, info): the value and the info parameter by position.
        let params = def.child_by_field_name("parameters")?;
        let mut pc = params.walk();
        let names: Vec<String> = params
            .named_children(&mut pc)
            .filter_map(|p| match p.kind() {
                "identifier" => Some(self.text(p)),
                "typed_parameter" => p.named_child(0).map(|i| self.text(i)),
                _ => None,
            })
            .collect();
        let value = names.get(1)?.clone();
        let info = names.get(2).cloned();
        let body = def.child_by_field_name("body")?;
        let mut bc = body.walk();
        let stmts: Vec<Node> = body
            .named_children(&mut bc)
            .filter(|n| n.kind() != "comment")
            .collect();
        let mut rest: &[Node] = &stmts;
        if let Some(first) = rest.first()
            && first.kind() == "expression_statement"
            && first.named_child(0).is_some_and(|s| s.kind() == "string")
        {
            rest = &rest[1..];
        }
        let mut guard = None;
        let mut raises = self.raises(rest, &value);
        if raises.is_empty()
            && let (Some(first), Some(info)) = (rest.first(), &info)
            && first.kind() == "if_statement"
            && first.child_by_field_name("alternative").is_none()
            && let Some(g) = first
                .child_by_field_name("condition")
                .and_then(|c| self.guard(c, info))
            && let Some(block) = first.child_by_field_name("consequence")
        {
            let mut c = block.walk();
            let inner: Vec<Node> = block
                .named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .collect();
            raises = self.raises(&inner, &value);
            guard = Some(g);
        }
        (!raises.is_empty()).then(|| Validator {
            name: def
                .child_by_field_name("name")
                .map(|n| self.text(n))
                .unwrap_or_default(),
            fields,
            mode,
            line: def.start_position().row + 1,
            guard,
            raises,
        })
    }

    /// Leading `if COND: raise …` statements; stops at anything else, since
    /// what follows might not be reached.
    fn raises(&self, stmts: &[Node], value: &str) -> Vec<Raise> {
        let mut out = Vec::new();
        for st in stmts {
            if st.kind() != "if_statement" || st.child_by_field_name("alternative").is_some() {
                break;
            }
            let Some(block) = st.child_by_field_name("consequence") else {
                break;
            };
            let Some(raise) = block
                .named_child(0)
                .filter(|r| r.kind() == "raise_statement")
            else {
                break;
            };
            let when = st
                .child_by_field_name("condition")
                .map(|c| self.conds(c, value, 0))
                .unwrap_or_default();
            let message = raise.named_child(0).and_then(|e| match self.expr(e, 0) {
                Expr::Call { args, .. } => args.into_iter().find_map(|a| match a {
                    Expr::Str(s) => Some(s),
                    _ => None,
                }),
                _ => None,
            });
            if !when.is_empty() {
                out.push(Raise {
                    when,
                    line: raise.start_position().row + 1,
                    message,
                });
            }
        }
        out
    }

    /// The readable parts of an `or` condition on `value`.
    fn conds(&self, n: Node, value: &str, depth: usize) -> Vec<Cond> {
        if depth > 16 {
            return Vec::new();
        }
        let is_v = |x: Node| x.kind() == "identifier" && self.text(x) == value;
        match n.kind() {
            "parenthesized_expression" => n
                .named_child(0)
                .map(|c| self.conds(c, value, depth + 1))
                .unwrap_or_default(),
            "boolean_operator" => {
                let op = n.child_by_field_name("operator").map(|o| self.text(o));
                if op.as_deref() != Some("or") {
                    return Vec::new();
                }
                let mut out = Vec::new();
                for side in ["left", "right"] {
                    if let Some(x) = n.child_by_field_name(side) {
                        out.extend(self.conds(x, value, depth + 1));
                    }
                }
                out
            }
            "not_operator" => match n.child_by_field_name("argument") {
                Some(a) if is_v(a) => vec![Cond::Falsy],
                _ => Vec::new(),
            },
            "comparison_operator" => {
                let mut c = n.walk();
                let parts: Vec<Node> = n.children(&mut c).collect();
                let [left, op, right] = parts.as_slice() else {
                    return Vec::new();
                };
                let op = self.text(*op);
                if op == "in" && is_v(*left) {
                    return match self.expr(*right, 0) {
                        Expr::Tuple(xs) | Expr::List(xs) | Expr::Set(xs) => vec![Cond::In(xs)],
                        _ => Vec::new(),
                    };
                }
                let is_len_v = left.kind() == "call"
                    && left
                        .child_by_field_name("function")
                        .is_some_and(|f| self.text(f) == "len")
                    && left
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0))
                        .is_some_and(|a| {
                            is_v(a)
                                && left
                                    .child_by_field_name("arguments")
                                    .is_some_and(|x| x.named_child_count() == 1)
                        });
                match (is_len_v, op.as_str(), self.expr(*right, 0)) {
                    (true, "<", Expr::Int(k)) => vec![Cond::LenLt(k)],
                    (true, "<=", Expr::Int(k)) => vec![Cond::LenLt(k + 1)],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// `info.data.get("f") == X` or `info.data["f"] == X`.
    fn guard(&self, n: Node, info: &str) -> Option<(String, Expr)> {
        if n.kind() != "comparison_operator" {
            return None;
        }
        let mut c = n.walk();
        let parts: Vec<Node> = n.children(&mut c).collect();
        let [left, op, right] = parts.as_slice() else {
            return None;
        };
        if self.text(*op) != "==" {
            return None;
        }
        let data = format!("{info}.data");
        let field = match self.expr(*left, 0) {
            Expr::Call {
                func, args, kwargs, ..
            } if kwargs.is_empty()
                && args.len() == 1
                && func.dotted().as_deref() == Some(&format!("{data}.get")) =>
            {
                match &args[0] {
                    Expr::Str(s) => s.clone(),
                    _ => return None,
                }
            }
            Expr::Subscript(base, keys) if base.dotted().as_deref() == Some(&data) => {
                match keys.as_slice() {
                    [Expr::Str(s)] => s.clone(),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some((field, self.expr(*right, 0)))
    }

    fn import_from(&self, stmt: Node, imports: &mut HashMap<String, (String, Option<String>)>) {
        let Some(m) = stmt.child_by_field_name("module_name") else {
            return;
        };
        let module = self.text(m).replace(' ', "");
        let mut cur = stmt.walk();
        for n in stmt.children_by_field_name("name", &mut cur) {
            let (name, alias) = match n.kind() {
                "aliased_import" => (
                    n.child_by_field_name("name").map(|x| self.text(x)),
                    n.child_by_field_name("alias").map(|x| self.text(x)),
                ),
                _ => (Some(self.text(n)), None),
            };
            if let Some(name) = name {
                imports.insert(
                    alias.unwrap_or_else(|| name.clone()),
                    (module.clone(), Some(name)),
                );
            }
        }
    }

    fn expr(&self, n: Node, depth: usize) -> Expr {
        if depth > MAX_DEPTH {
            return Expr::Other(self.text(n));
        }
        let d = depth + 1;
        let named = |i: u32| n.named_child(i);
        match n.kind() {
            "type" | "parenthesized_expression" | "expression_statement" => match named(0) {
                Some(c) if n.named_child_count() == 1 => self.expr(c, d),
                _ => Expr::Other(self.text(n)),
            },
            "identifier" => Expr::Name(self.text(n)),
            "attribute" => match (
                n.child_by_field_name("object"),
                n.child_by_field_name("attribute"),
            ) {
                (Some(o), Some(a)) => Expr::Attr(Box::new(self.expr(o, d)), self.text(a)),
                _ => Expr::Other(self.text(n)),
            },
            "true" => Expr::Bool(true),
            "false" => Expr::Bool(false),
            "none" => Expr::None,
            "ellipsis" => Expr::Ellipsis,
            "integer" => {
                let t = self.text(n).replace('_', "");
                let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    i64::from_str_radix(h, 16).ok()
                } else if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
                    i64::from_str_radix(o, 8).ok()
                } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
                    i64::from_str_radix(b, 2).ok()
                } else {
                    t.parse().ok()
                };
                v.map(Expr::Int).unwrap_or(Expr::Other(t))
            }
            "float" => {
                let t = self.text(n).replace('_', "");
                t.parse().map(Expr::Float).unwrap_or(Expr::Other(t))
            }
            "string" => self.string(n),
            "concatenated_string" => {
                let mut s = String::new();
                let mut cur = n.walk();
                for part in n.named_children(&mut cur) {
                    match self.string(part) {
                        Expr::Str(p) => s.push_str(&p),
                        _ => return Expr::Other(self.text(n)),
                    }
                }
                Expr::Str(s)
            }
            "unary_operator" => match (
                n.child_by_field_name("operator"),
                n.child_by_field_name("argument"),
            ) {
                (Some(op), Some(a)) if self.text(op) == "-" => match self.expr(a, d) {
                    Expr::Int(i) => Expr::Int(-i),
                    Expr::Float(f) => Expr::Float(-f),
                    e => Expr::Neg(Box::new(e)),
                },
                (Some(op), Some(a)) if self.text(op) == "+" => self.expr(a, d),
                _ => Expr::Other(self.text(n)),
            },
            "binary_operator" | "union_type" => {
                let (l, r) = if n.kind() == "union_type" {
                    (named(0), named(1))
                } else {
                    (
                        n.child_by_field_name("left"),
                        n.child_by_field_name("right"),
                    )
                };
                let op_ok = n.kind() == "union_type"
                    || n.child_by_field_name("operator")
                        .map(|o| self.text(o))
                        .as_deref()
                        == Some("|");
                match (l, r) {
                    (Some(l), Some(r)) if op_ok => {
                        Expr::Or(Box::new(self.expr(l, d)), Box::new(self.expr(r, d)))
                    }
                    _ => Expr::Other(self.text(n)),
                }
            }
            "list" | "tuple" | "set" | "expression_list" | "pattern_list" => {
                let mut cur = n.walk();
                let items: Vec<Expr> = n
                    .named_children(&mut cur)
                    .filter(|c| c.kind() != "comment")
                    .map(|c| self.expr(c, d))
                    .collect();
                match n.kind() {
                    "list" => Expr::List(items),
                    "set" => Expr::Set(items),
                    _ => Expr::Tuple(items),
                }
            }
            "dictionary" => {
                let mut cur = n.walk();
                let mut pairs = Vec::new();
                for c in n.named_children(&mut cur) {
                    match c.kind() {
                        "pair" => {
                            match (c.child_by_field_name("key"), c.child_by_field_name("value")) {
                                (Some(k), Some(v)) => {
                                    pairs.push((self.expr(k, d), self.expr(v, d)))
                                }
                                _ => return Expr::Other(self.text(n)),
                            }
                        }
                        "comment" => {}
                        _ => return Expr::Other(self.text(n)),
                    }
                }
                Expr::Dict(pairs)
            }
            "call" => {
                let func = n
                    .child_by_field_name("function")
                    .map(|f| self.expr(f, d))
                    .unwrap_or(Expr::Other(String::new()));
                let mut args = Vec::new();
                let mut kwargs = Vec::new();
                let mut star = false;
                if let Some(a) = n.child_by_field_name("arguments") {
                    let mut cur = a.walk();
                    for c in a.named_children(&mut cur) {
                        match c.kind() {
                            "keyword_argument" => {
                                if let (Some(k), Some(v)) = (
                                    c.child_by_field_name("name"),
                                    c.child_by_field_name("value"),
                                ) {
                                    kwargs.push((self.text(k), self.expr(v, d)));
                                }
                            }
                            "list_splat" | "dictionary_splat" => star = true,
                            "comment" => {}
                            _ => args.push(self.expr(c, d)),
                        }
                    }
                }
                Expr::Call {
                    func: Box::new(func),
                    args,
                    kwargs,
                    star,
                }
            }
            "subscript" => {
                let value = n
                    .child_by_field_name("value")
                    .map(|v| self.expr(v, d))
                    .unwrap_or(Expr::Other(String::new()));
                let mut cur = n.walk();
                let mut subs = Vec::new();
                for s in n.children_by_field_name("subscript", &mut cur) {
                    subs.push(self.expr(s, d));
                }
                Expr::Subscript(Box::new(value), subs)
            }
            "generic_type" => {
                let (Some(base), Some(params)) = (named(0), named(1)) else {
                    return Expr::Other(self.text(n));
                };
                let mut cur = params.walk();
                let subs = params
                    .named_children(&mut cur)
                    .map(|p| self.expr(p, d))
                    .collect();
                Expr::Subscript(Box::new(self.expr(base, d)), subs)
            }
            "lambda" => Expr::Lambda,
            _ => Expr::Other(self.text(n)),
        }
    }

    /// A plain string literal's value; f-strings and bytes are not values a
    /// setting's name or default can be read from.
    fn string(&self, n: Node) -> Expr {
        let raw = self.text(n);
        let prefix: String = raw
            .chars()
            .take_while(|c| !matches!(c, '"' | '\''))
            .collect::<String>()
            .to_lowercase();
        if prefix.contains('f') || prefix.contains('b') {
            return Expr::Other(raw);
        }
        let mut out = String::new();
        let mut cur = n.walk();
        for c in n.named_children(&mut cur) {
            match c.kind() {
                "string_content" => {
                    let t = self.text(c);
                    if prefix.contains('r') {
                        out.push_str(&t);
                    } else {
                        out.push_str(&unescape(&t));
                    }
                }
                "escape_sequence" => out.push_str(&unescape(&self.text(c))),
                "interpolation" => return Expr::Other(raw),
                _ => {}
            }
        }
        Expr::Str(out)
    }
}

/// Python's common escapes; anything rarer is kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('\n') => {}
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_classes_fields_and_annotations() {
        let m = parse(
            "from __future__ import annotations\nfrom typing import Optional as Opt\nimport os\nfrom .db import Db\nX = 5\n\nclass S(BaseSettings, env_prefix='A_'):\n    model_config = SettingsConfigDict(env_nested_delimiter='__')\n    a: int = 5\n    b: str | None = Field(None, alias='BEE')\n    c: list[str] = Field(default_factory=list)\n    d: Opt[dict[str, int]] = None\n    e: 'Db'\n    class Inner(BaseModel):\n        x: bool = -1\n    def f(self): pass\n",
        )
        .unwrap();
        let s = &m.classes[0];
        assert_eq!(s.name, "S");
        assert_eq!(s.bases, vec![Expr::Name("BaseSettings".into())]);
        assert_eq!(s.class_kwargs[0].0, "env_prefix");
        assert_eq!(s.assigns[0].0, "model_config");
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(s.fields[0].value, Some(Expr::Int(5)));
        assert!(
            matches!(s.fields[1].annotation, Expr::Or(..)),
            "{:?}",
            s.fields[1].annotation
        );
        assert!(
            matches!(s.fields[2].annotation, Expr::Subscript(..)),
            "{:?}",
            s.fields[2].annotation
        );
        assert_eq!(s.fields[4].annotation, Expr::Str("Db".into()));
        assert_eq!(s.classes[0].fields[0].value, Some(Expr::Int(-1)));
        assert_eq!(s.methods, ["f"]);
        assert_eq!(m.imports["Opt"], ("typing".into(), Some("Optional".into())));
        assert_eq!(m.imports["Db"], (".db".into(), Some("Db".into())));
        assert_eq!(m.constants["X"], Expr::Int(5));
    }

    #[test]
    fn reports_syntax_errors_with_positions() {
        let e = parse("class S(BaseSettings):\n    a: int = (\n").unwrap_err();
        assert!(e[0].line >= 2, "{e:?}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let src = format!("x = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
        // tree-sitter itself copes; the conversion must not overflow.
        let _ = parse(&src);
    }
}
