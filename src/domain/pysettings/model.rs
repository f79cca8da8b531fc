//! From parsed modules to environment names: name resolution (class bodies,
//! module, imports of the same package), types, defaults, configuration and
//! the flattening pydantic-settings' `EnvSettingsSource` does
//! (`_extract_field_info` for top-level fields, `explode_env_vars` with the
//! nested models' validation keys below them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use super::syntax::{self, ClassDef, Expr, FieldDef, Module};
use super::value::{Constraints, ModelField, VType};
use super::{
    Config, EnvName, EnvRead, Note, ReadError, RuleCheck, RuleGuard, RuleRaise, SettingsModel,
    ValidatorRule,
};

/// Larger Python files are not settings modules; refuse rather than hold them.
const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Bound on modules opened through imports.
const MAX_MODULES: usize = 64;
/// Bound on model nesting (pydantic has none; real settings nest two or three deep).
const MAX_NESTING: usize = 10;

/// Reads the settings class `class` (default: `Settings`, else the only
/// `BaseSettings` subclass) from `file`.
pub(crate) fn read(file: &Path, class: Option<&str>) -> Result<SettingsModel, ReadError> {
    let mut r = Reader::default();
    let m = r.load(file).map_err(|e| *e)?;
    let wanted: Option<String> = class.map(str::to_string);
    let top: Vec<&ClassDef> = m.classes.iter().collect();
    let chosen = match &wanted {
        Some(c) => top.iter().find(|k| k.name == *c).copied(),
        None => top
            .iter()
            .find(|k| k.name == "Settings")
            .copied()
            .or_else(|| {
                let s: Vec<&&ClassDef> = top
                    .iter()
                    .filter(|k| r.is_settings(&ClassRef::top(file, &k.name)))
                    .collect();
                (s.len() == 1).then(|| *s[0])
            }),
    };
    let Some(cls) = chosen else {
        let settings: Vec<String> = top
            .iter()
            .filter(|k| r.is_settings(&ClassRef::top(file, &k.name)))
            .map(|k| k.name.clone())
            .collect();
        return Err(ReadError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: match &wanted {
                Some(c) => format!("no class `{c}` at the top level of the module"),
                None => "no class `Settings`, and not exactly one BaseSettings subclass".into(),
            },
            hint: Some(if settings.is_empty() {
                "name the class: `path.py:ClassName`".into()
            } else {
                format!(
                    "settings classes here: {}; name one as `path.py:{}`",
                    settings.join(", "),
                    settings[0]
                )
            }),
        });
    };
    let cref = ClassRef::top(file, &cls.name);
    let line = cls.line;
    let class_name = cls.name.clone();
    let config = r.config(&cref);
    let mut out = Out {
        names: Vec::new(),
        notes: Vec::new(),
    };
    r.flatten_settings(&cref, &config, &mut out);
    out.notes.extend(std::mem::take(&mut r.notes));
    // Aliases: the other names of the same field.
    let mut by_path: HashMap<String, Vec<String>> = HashMap::new();
    for n in &out.names {
        by_path
            .entry(n.path.clone())
            .or_default()
            .push(n.name.clone());
    }
    for n in &mut out.names {
        n.aliases = by_path[&n.path]
            .iter()
            .filter(|a| **a != n.name)
            .cloned()
            .collect();
    }
    out.notes.dedup();
    let rules = r.validator_rules(&cref, &out.names);
    Ok(SettingsModel {
        file: file.to_path_buf(),
        class: class_name,
        line,
        config,
        names: out.names,
        notes: out.notes,
        env_reads: env_reads(file, &r.texts[file]),
        rules,
    })
}

/// `os.getenv("X")`, `os.environ.get("X")`, `os.environ["X"]`, `getenv("X")`.
fn env_reads(file: &Path, src: &str) -> Vec<EnvRead> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"(?:\bgetenv|\benviron\.get|\benviron\.setdefault)\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]|\benviron\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        )
        .ok()
    });
    let Some(re) = re else {
        return Vec::new();
    };
    let mut out: Vec<EnvRead> = Vec::new();
    for (i, line) in src.lines().enumerate() {
        for c in re.captures_iter(line) {
            let name = c
                .get(1)
                .or_else(|| c.get(2))
                .map(|m| m.as_str())
                .unwrap_or("");
            if !out.iter().any(|r| r.name == name) {
                out.push(EnvRead {
                    name: name.to_string(),
                    file: file.to_path_buf(),
                    line: i + 1,
                });
            }
        }
    }
    out
}

/// A class: the module file and its path of class names (`Settings.DatabaseSettings`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClassRef {
    file: PathBuf,
    path: Vec<String>,
}

impl ClassRef {
    fn top(file: &Path, name: &str) -> Self {
        ClassRef {
            file: file.to_path_buf(),
            path: vec![name.to_string()],
        }
    }
}

/// What a name in an annotation or default stands for.
#[derive(Debug, Clone)]
enum Sym {
    Class(ClassRef),
    /// A name imported from a module outside the package (`pydantic.SecretStr`), by its original name.
    External(String, String),
    /// A module of the package (`from app import enums`, `import app.enums as e`).
    Module(PathBuf),
    Constant(Expr),
    Unknown,
}

/// A field's type, as far as environment parsing cares.
#[derive(Debug, Clone)]
enum Ty {
    Str,
    Int,
    Float,
    Bool,
    Bytes,
    Secret(Option<&'static str>),
    /// A string with a JSON Schema format (URL, DSN, date, …) and the pydantic type name.
    Formatted(&'static str, &'static str, &'static str),
    /// A homogeneous container (`list[X]`, `set[X]`, `tuple[X, ...]`).
    Array(Box<Ty>),
    /// A fixed tuple (`tuple[A, B]`).
    Tuple(Vec<Ty>),
    /// `dict[K, V]`, by its value type.
    Dict(Box<Ty>),
    Model(ClassRef),
    /// Member values and names.
    Enum(Vec<Value>, Vec<String>),
    Literal(Vec<Value>),
    Optional(Box<Ty>),
    Union(Vec<Ty>),
    Any,
    /// A class or type readyctl does not know; carries the name for notes.
    Opaque(String),
    /// `Field(ge=…)`, `conint(…)`, `PositiveInt`, `Annotated[X, Field(…)]`.
    Constrained(Box<Ty>, Constraints),
}

impl Ty {
    fn strip(&self) -> &Ty {
        match self {
            Ty::Optional(t) | Ty::Constrained(t, _) => t.strip(),
            t => t,
        }
    }

    fn schema_type(&self) -> (Option<String>, Option<String>) {
        let s = |t: &str| Some(t.to_string());
        match self.strip() {
            Ty::Str => (s("string"), None),
            Ty::Int => (s("integer"), None),
            Ty::Float => (s("number"), None),
            Ty::Bool => (s("boolean"), None),
            Ty::Bytes => (s("string"), s("binary")),
            Ty::Secret(f) => (s("string"), f.map(str::to_string).or(s("password"))),
            Ty::Formatted(t, f, _) => (s(t), (!f.is_empty()).then(|| f.to_string())),
            Ty::Array(_) | Ty::Tuple(_) => (s("array"), None),
            Ty::Dict(_) | Ty::Model(_) => (s("object"), None),
            Ty::Enum(v, _) | Ty::Literal(v) => (values_type(v), None),
            _ => (None, None),
        }
    }

    fn choices(&self) -> Option<Vec<Value>> {
        match self.strip() {
            Ty::Enum(v, _) | Ty::Literal(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// pydantic-settings' `_annotation_is_complex` (JSON-decoded values).
    fn complex(&self) -> bool {
        match self {
            Ty::Array(_) | Ty::Tuple(_) | Ty::Dict(_) | Ty::Model(_) => true,
            Ty::Optional(t) | Ty::Constrained(t, _) => t.complex(),
            Ty::Union(ts) => ts.iter().any(Ty::complex),
            _ => false,
        }
    }

    /// Complex, and a value that is not JSON is an error. pydantic-settings
    /// lets JSON decoding fail for a union (`_field_is_complex`:
    /// `allow_parse_failure`) and hands the raw text to pydantic, which takes
    /// it when a member is a plain string (`list[AnyUrl] | str`).
    fn needs_json(&self) -> bool {
        match self {
            Ty::Optional(t) | Ty::Constrained(t, _) => t.needs_json(),
            Ty::Union(ts) => {
                ts.iter().any(Ty::complex) && !ts.iter().any(|t| matches!(t.strip(), Ty::Str))
            }
            t => t.complex(),
        }
    }

    fn url_type(&self) -> Option<String> {
        match self.strip() {
            Ty::Formatted(_, "uri" | "multi-host-uri", name) => Some(name.to_string()),
            _ => None,
        }
    }

    fn model(&self) -> Option<&ClassRef> {
        match self.strip() {
            Ty::Model(c) => Some(c),
            _ => None,
        }
    }

    fn is_dict(&self) -> bool {
        matches!(self.strip(), Ty::Dict(_))
    }
}

fn values_type(v: &[Value]) -> Option<String> {
    let t = |x: &Value| match x {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Null => "null",
        _ => "other",
    };
    let first = v.first().map(t)?;
    (v.iter().all(|x| t(x) == first) && first != "null" && first != "other")
        .then(|| first.to_string())
}

/// What the field-level `Field(...)` says.
#[derive(Default)]
struct FieldSpec {
    has_default: bool,
    default: Option<Value>,
    default_text: Option<String>,
    factory: bool,
    /// Validation keys from `alias`/`validation_alias`: (key, is an AliasPath deeper than one step).
    aliases: Vec<(String, bool)>,
    /// `validation_alias` was not a string, AliasChoices or AliasPath of literals.
    alias_unreadable: Option<String>,
    /// `Field(ge=…, min_length=…, pattern=…)`.
    constraints: Constraints,
}

struct Out {
    names: Vec<EnvName>,
    notes: Vec<Note>,
}

#[derive(Default)]
struct Reader {
    modules: HashMap<PathBuf, Rc<Module>>,
    texts: HashMap<PathBuf, String>,
    notes: Vec<Note>,
}

fn note(file: &Path, line: usize, message: String) -> Note {
    Note {
        file: file.to_path_buf(),
        line,
        message,
    }
}

impl Reader {
    fn load(&mut self, file: &Path) -> Result<Rc<Module>, Box<ReadError>> {
        if let Some(m) = self.modules.get(file) {
            return Ok(m.clone());
        }
        let err = |line, column, message: String, hint: Option<String>| {
            Box::new(ReadError {
                file: file.to_path_buf(),
                line,
                column,
                message,
                hint,
            })
        };
        let meta = std::fs::metadata(file)
            .map_err(|e| err(0, 0, format!("cannot read the settings module: {e}"), None))?;
        if meta.len() > MAX_FILE {
            return Err(err(
                0,
                0,
                format!("{} bytes is too large for a settings module", meta.len()),
                None,
            ));
        }
        let bytes = std::fs::read(file)
            .map_err(|e| err(0, 0, format!("cannot read the settings module: {e}"), None))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            err(
                0,
                0,
                format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                None,
            )
        })?;
        let m = syntax::parse(&text).map_err(|errs| {
            let first = &errs[0];
            let more = if errs.len() > 1 {
                format!(
                    " (and {} more: {})",
                    errs.len() - 1,
                    errs[1..]
                        .iter()
                        .map(|e| format!("{}:{}", e.line, e.column))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            err(
                first.line,
                first.column,
                format!("{}{more}", first.message),
                Some("the file must be valid Python 3 (as `python -m py_compile` accepts)".into()),
            )
        })?;
        let m = Rc::new(m);
        self.modules.insert(file.to_path_buf(), m.clone());
        self.texts.insert(file.to_path_buf(), text);
        Ok(m)
    }

    fn class(&self, r: &ClassRef) -> Option<&ClassDef> {
        let m = self.modules.get(&r.file)?;
        let mut c = m.classes.iter().find(|c| c.name == r.path[0])?;
        for p in &r.path[1..] {
            c = c.classes.iter().find(|k| k.name == *p)?;
        }
        Some(c)
    }

    /// Resolves a bare name as seen from inside class `scope` (its body, the
    /// enclosing class bodies, the module, its imports).
    fn lookup(&mut self, scope: &ClassRef, name: &str) -> Sym {
        for depth in (1..=scope.path.len()).rev() {
            let outer = ClassRef {
                file: scope.file.clone(),
                path: scope.path[..depth].to_vec(),
            };
            if let Some(c) = self.class(&outer)
                && c.classes.iter().any(|k| k.name == name)
            {
                let mut path = outer.path.clone();
                path.push(name.to_string());
                return Sym::Class(ClassRef {
                    file: scope.file.clone(),
                    path,
                });
            }
        }
        self.lookup_module(&scope.file.clone(), name, 0)
    }

    fn lookup_module(&mut self, file: &Path, name: &str, hops: usize) -> Sym {
        let Some(m) = self.modules.get(file).cloned() else {
            return Sym::Unknown;
        };
        if m.classes.iter().any(|c| c.name == name) {
            return Sym::Class(ClassRef::top(file, name));
        }
        if let Some(e) = m.constants.get(name) {
            return Sym::Constant(e.clone());
        }
        let Some((module, imported)) = m.imports.get(name).cloned() else {
            return Sym::Unknown;
        };
        let Some(imported) = imported else {
            return match self.module_file(file, &module) {
                Some(p) if self.load(&p).is_ok() => Sym::Module(p),
                _ => Sym::External(module, String::new()),
            };
        };
        if hops > 8 {
            return Sym::Unknown;
        }
        match self.module_file(file, &module) {
            Some(target)
                if self.modules.len() < MAX_MODULES || self.modules.contains_key(&target) =>
            {
                match self.load(&target) {
                    Ok(_) => match self.lookup_module(&target, &imported, hops + 1) {
                        Sym::Unknown => {
                            // `from pkg import submodule`
                            let sub = format!(
                                "{}{}{imported}",
                                module,
                                if module.ends_with('.') { "" } else { "." }
                            );
                            match self.module_file(file, &sub) {
                                Some(p) if self.load(&p).is_ok() => Sym::Module(p),
                                _ => Sym::External(module, imported),
                            }
                        }
                        s => s,
                    },
                    Err(e) => {
                        self.notes.push(note(
                            file,
                            0,
                            format!("cannot read `{module}` for `{imported}`: {e}"),
                        ));
                        Sym::External(module, imported)
                    }
                }
            }
            _ => Sym::External(module, imported),
        }
    }

    /// The file of a module named in an import, inside the same package tree.
    fn module_file(&self, from: &Path, module: &str) -> Option<PathBuf> {
        let dots = module.chars().take_while(|c| *c == '.').count();
        let rest = &module[dots..];
        let base: PathBuf = if dots > 0 {
            let mut d = from.parent()?.to_path_buf();
            for _ in 1..dots {
                d = d.parent()?.to_path_buf();
            }
            d
        } else {
            // Absolute: from the directory above the outermost package
            // holding `from` (what `sys.path` would hold), else beside it.
            let mut d = from.parent()?.to_path_buf();
            while d.join("__init__.py").is_file() {
                match d.parent() {
                    Some(p) => d = p.to_path_buf(),
                    None => break,
                }
            }
            d
        };
        let rel: PathBuf = rest.split('.').filter(|s| !s.is_empty()).collect();
        let candidates = [
            base.join(&rel).with_extension("py"),
            base.join(&rel).join("__init__.py"),
        ];
        candidates.into_iter().find(|c| c.is_file() && c != from)
    }

    /// Whether a class derives from pydantic's `BaseSettings`.
    fn is_settings(&mut self, c: &ClassRef) -> bool {
        self.kind_of(c, 0) == Kind::Settings
    }

    fn kind_of(&mut self, c: &ClassRef, depth: usize) -> Kind {
        if depth > 16 {
            return Kind::Other;
        }
        let Some(def) = self.class(c).cloned() else {
            return Kind::Other;
        };
        let mut best = Kind::Other;
        for b in &def.bases {
            let k = match self.resolve_expr(c, b) {
                Sym::Class(r) => self.kind_of(&r, depth + 1),
                Sym::External(_, n) | Sym::Constant(Expr::Name(n)) => kind_by_name(&n),
                Sym::Unknown => b.last_name().map(kind_by_name).unwrap_or(Kind::Other),
                Sym::Constant(_) | Sym::Module(_) => Kind::Other,
            };
            best = best.max(k);
        }
        best
    }

    fn resolve_expr(&mut self, scope: &ClassRef, e: &Expr) -> Sym {
        match e {
            Expr::Name(n) => match self.lookup(scope, n) {
                Sym::Unknown => Sym::External(String::new(), n.clone()),
                s => s,
            },
            Expr::Attr(v, a) => match self.resolve_expr(scope, v) {
                Sym::Class(mut r) => {
                    let mut inner = r.clone();
                    inner.path.push(a.clone());
                    if self.class(&inner).is_some() {
                        r = inner;
                        Sym::Class(r)
                    } else {
                        Sym::Unknown
                    }
                }
                Sym::Module(p) => match self.lookup_module(&p, a, 0) {
                    Sym::Unknown => Sym::External(String::new(), a.clone()),
                    s => s,
                },
                Sym::External(m, n) if n.is_empty() => Sym::External(m, a.clone()),
                _ => Sym::External(String::new(), a.clone()),
            },
            _ => Sym::Unknown,
        }
    }

    /// The class's own and inherited config, base classes first.
    fn config(&mut self, c: &ClassRef) -> Config {
        let mut cfg = Config {
            extra: if self.is_settings(c) {
                "forbid".into()
            } else {
                "ignore".into()
            },
            ..Config::default()
        };
        let mut chain = Vec::new();
        self.mro(c, &mut chain, 0);
        for k in chain.iter().rev() {
            self.apply_config(k, &mut cfg);
        }
        cfg
    }

    /// Classes from `c` up through its readable bases (c first).
    fn mro(&mut self, c: &ClassRef, out: &mut Vec<ClassRef>, depth: usize) {
        if depth > 16 || out.contains(c) {
            return;
        }
        out.push(c.clone());
        let Some(def) = self.class(c).cloned() else {
            return;
        };
        for b in def.bases.iter() {
            if let Sym::Class(r) = self.resolve_expr(c, b) {
                self.mro(&r, out, depth + 1);
            }
        }
    }

    /// Config keys of one class: class keywords, `class Config`, `model_config`.
    fn config_items(&self, c: &ClassRef) -> Vec<(String, Expr, usize)> {
        let Some(def) = self.class(c) else {
            return Vec::new();
        };
        let mut items: Vec<(String, Expr, usize)> = def
            .class_kwargs
            .iter()
            .filter(|(k, _)| k != "metaclass")
            .map(|(k, v)| (k.clone(), v.clone(), def.line))
            .collect();
        if let Some(inner) = def.classes.iter().find(|k| k.name == "Config") {
            items.extend(
                inner
                    .assigns
                    .iter()
                    .map(|(k, l, v)| (k.clone(), v.clone(), *l)),
            );
        }
        for (name, line, v) in &def.assigns {
            if name != "model_config" {
                continue;
            }
            match v {
                Expr::Call { func, kwargs, .. } if is_config_call(func) => {
                    items.extend(kwargs.iter().map(|(k, v)| (k.clone(), v.clone(), *line)))
                }
                Expr::Dict(pairs) => {
                    for (k, v) in pairs {
                        if let Expr::Str(k) = k {
                            items.push((k.clone(), v.clone(), *line));
                        }
                    }
                }
                _ => {}
            }
        }
        items
    }

    /// Why a class's `model_config` cannot be read completely.
    fn config_problems(&self, def: &ClassDef) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (name, line, v) in &def.assigns {
            if name != "model_config" {
                continue;
            }
            match v {
                Expr::Call { func, star: true, .. } if is_config_call(func) => out.push((*line, format!("`{}.model_config` is built with `**…`: keys passed that way are not read", def.name))),
                Expr::Call { func, .. } if is_config_call(func) => {}
                Expr::Dict(_) => {}
                _ => out.push((*line, format!("`{}.model_config` is not a literal `SettingsConfigDict(…)`/`{{…}}`: its env_prefix, delimiter and case rules are not read", def.name))),
            }
        }
        out
    }

    fn apply_config(&mut self, c: &ClassRef, cfg: &mut Config) {
        let Some(def) = self.class(c).cloned() else {
            return;
        };
        let file = c.file.clone();
        for (line, why) in self.config_problems(&def) {
            self.notes.push(note(&file, line, why));
        }
        let items = self.config_items(c);
        for (key, v, line) in items {
            let v = self.literal_value(c, &v);
            let bad = |s: &mut Self| {
                s.notes.push(note(
                    &file,
                    line,
                    format!(
                        "`{key}` of `{}` is not a literal: its effect on the names is not read",
                        def.name
                    ),
                ));
            };
            match key.as_str() {
                "env_prefix" => match v {
                    Some(Value::String(s)) => cfg.env_prefix = s,
                    _ => bad(self),
                },
                "env_nested_delimiter" => match v {
                    Some(Value::String(s)) if !s.is_empty() => cfg.env_nested_delimiter = Some(s),
                    Some(Value::String(_)) | Some(Value::Null) => cfg.env_nested_delimiter = None,
                    _ => bad(self),
                },
                "case_sensitive" => match v {
                    Some(Value::Bool(b)) => cfg.case_sensitive = b,
                    _ => bad(self),
                },
                "env_parse_enums" => match v {
                    Some(Value::Bool(b)) => cfg.env_parse_enums = b,
                    Some(Value::Null) => cfg.env_parse_enums = false,
                    _ => bad(self),
                },
                "env_ignore_empty" => match v {
                    Some(Value::Bool(b)) => cfg.env_ignore_empty = b,
                    _ => bad(self),
                },
                "extra" => match v {
                    Some(Value::String(s)) => cfg.extra = s,
                    _ => bad(self),
                },
                "populate_by_name" | "validate_by_name" => match v {
                    Some(Value::Bool(b)) => cfg.populate_by_name = b,
                    _ => bad(self),
                },
                "env_file" => match v {
                    Some(Value::String(s)) => cfg.env_file = vec![s],
                    Some(Value::Array(a)) => {
                        cfg.env_file = a
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    }
                    Some(Value::Null) => cfg.env_file.clear(),
                    _ => bad(self),
                },
                "alias_generator" if v != Some(Value::Null) => {
                    self.notes.push(note(&file, line, format!("`{}` sets an `alias_generator`: the aliases it makes are computed at run time, so the names of `{}`'s fields without an explicit alias are not listed", def.name, def.name)));
                }
                "env_nested_max_split" if v != Some(Value::Null) => {
                    self.notes.push(note(&file, line, format!("`env_nested_max_split` of `{}` is not applied: nested names are listed as if unlimited", def.name)));
                }
                _ => {}
            }
        }
    }

    /// Fields of a class and its readable bases, base first; an override keeps
    /// the base's position (as pydantic's `model_fields` does).
    fn fields(&mut self, c: &ClassRef) -> Vec<(ClassRef, FieldDef)> {
        let mut chain = Vec::new();
        self.mro(c, &mut chain, 0);
        let mut out: Vec<(ClassRef, FieldDef)> = Vec::new();
        for k in chain.iter().rev() {
            let Some(def) = self.class(k).cloned() else {
                continue;
            };
            for f in def.fields {
                if f.name.starts_with('_') || is_classvar(&f.annotation) {
                    continue;
                }
                match out.iter_mut().find(|(_, g)| g.name == f.name) {
                    Some(slot) => *slot = (k.clone(), f),
                    None => out.push((k.clone(), f)),
                }
            }
        }
        out
    }

    fn flatten_settings(&mut self, c: &ClassRef, cfg: &Config, out: &mut Out) {
        let def = self.class(c).cloned().unwrap_or_default();
        if def
            .methods
            .iter()
            .any(|m| m == "settings_customise_sources")
        {
            out.notes.push(note(&c.file, def.line, format!("`{}` defines `settings_customise_sources`: the sources or their order may differ from pydantic-settings' defaults; the names below are those of the standard environment source", def.name)));
        }
        let generated = self.has_alias_generator(c);
        let case = |s: String| {
            if cfg.case_sensitive {
                s
            } else {
                s.to_uppercase()
            }
        };
        for (owner, f) in self.fields(c) {
            let spec = self.field_spec(&owner, &f);
            if let Some(why) = &spec.alias_unreadable {
                out.notes.push(note(&owner.file, f.line, format!("field `{}`: `validation_alias` {why} is not a literal; its environment names are not listed", f.name)));
                continue;
            }
            if generated && spec.aliases.is_empty() {
                continue;
            }
            let ty = self.ty(&owner, &f.annotation, 0);
            let mut envs: Vec<String> = spec.aliases.iter().map(|(a, _)| case(a.clone())).collect();
            if spec.aliases.is_empty() || cfg.populate_by_name {
                envs.push(case(format!("{}{}", cfg.env_prefix, f.name)));
            }
            let required = !spec.has_default;
            for env in envs {
                self.emit(
                    &owner,
                    &f,
                    &spec,
                    &ty,
                    env,
                    f.name.clone(),
                    required,
                    cfg,
                    out,
                    0,
                    &mut Vec::new(),
                );
            }
        }
    }

    /// Whether the class or a base sets a non-`None` `alias_generator`
    /// (the note saying so comes from `apply_config`).
    fn has_alias_generator(&mut self, c: &ClassRef) -> bool {
        let mut chain = Vec::new();
        self.mro(c, &mut chain, 0);
        chain.iter().any(|k| {
            self.config_items(k)
                .iter()
                .any(|(key, v, _)| key == "alias_generator" && *v != Expr::None)
        })
    }

    #[allow(clippy::too_many_arguments)] // one recursive step of the flattening; a struct would only rename them
    fn emit(
        &mut self,
        owner: &ClassRef,
        f: &FieldDef,
        spec: &FieldSpec,
        ty: &Ty,
        env: String,
        path: String,
        required: bool,
        cfg: &Config,
        out: &mut Out,
        depth: usize,
        seen: &mut Vec<ClassRef>,
    ) {
        let (schema_ty, format) = ty.schema_type();
        let secret = matches!(ty.strip(), Ty::Secret(_));
        let value = (!spec.aliases.iter().any(|(_, deep)| *deep)).then(|| {
            let t = constrained(ty.clone(), spec.constraints.clone());
            self.vtype(&t, cfg.env_parse_enums, 0, &mut Vec::new())
        });
        out.names.push(EnvName {
            name: env.clone(),
            path: path.clone(),
            ty: schema_ty,
            format,
            annotation: expr_text(&f.annotation),
            url_type: ty.url_type(),
            choices: ty.choices(),
            default: spec.default.clone(),
            default_text: spec.default_text.clone(),
            has_default: spec.has_default,
            required,
            aliases: Vec::new(),
            complex: ty.needs_json() || spec.aliases.iter().any(|(_, deep)| *deep),
            wildcard: false,
            secret,
            value,
            file: owner.file.clone(),
            line: f.line,
        });
        if let Ty::Opaque(name) = ty.strip()
            && !known_scalar(name)
        {
            out.notes.push(note(&owner.file, f.line, format!("field `{path}`: type `{name}` is not a class readyctl can read; if it is a model, the names nested under {env} are not listed")));
        }
        let Some(delim) = cfg.env_nested_delimiter.clone() else {
            return;
        };
        if let Some(sub) = ty.model() {
            if depth >= MAX_NESTING || seen.contains(sub) {
                out.notes.push(note(&owner.file, f.line, format!("field `{path}`: models nest deeper than {MAX_NESTING} levels or recursively; names below {env} are not listed")));
                return;
            }
            let sub = sub.clone();
            seen.push(sub.clone());
            let sub_cfg = self.config(&sub);
            let generated = self.has_alias_generator(&sub);
            for (o2, f2) in self.fields(&sub) {
                let spec2 = self.field_spec(&o2, &f2);
                if let Some(why) = &spec2.alias_unreadable {
                    out.notes.push(note(&o2.file, f2.line, format!("field `{path}.{}`: `validation_alias` {why} is not a literal; its environment names are not listed", f2.name)));
                    continue;
                }
                if generated && spec2.aliases.is_empty() {
                    continue;
                }
                let ty2 = self.ty(&o2, &f2.annotation, 0);
                let mut keys: Vec<String> = spec2.aliases.iter().map(|(a, _)| a.clone()).collect();
                if keys.is_empty() || sub_cfg.populate_by_name {
                    keys.push(f2.name.clone());
                }
                for key in keys {
                    let name = if cfg.case_sensitive {
                        format!("{env}{delim}{key}")
                    } else {
                        format!("{env}{delim}{}", key.to_uppercase())
                    };
                    self.emit(
                        &o2,
                        &f2,
                        &spec2,
                        &ty2,
                        name,
                        format!("{path}.{}", f2.name),
                        required && !spec2.has_default,
                        cfg,
                        out,
                        depth + 1,
                        seen,
                    );
                }
            }
            seen.pop();
        } else if ty.is_dict() {
            out.names.push(EnvName {
                name: format!(
                    "{env}{}",
                    if cfg.case_sensitive {
                        delim.clone()
                    } else {
                        delim.to_uppercase()
                    }
                ),
                path: format!("{path}.*"),
                ty: None,
                format: None,
                annotation: expr_text(&f.annotation),
                url_type: None,
                choices: None,
                default: None,
                default_text: None,
                has_default: false,
                required: false,
                aliases: Vec::new(),
                complex: false,
                wildcard: true,
                secret: false,
                value: match ty.strip() {
                    Ty::Dict(v) => Some(self.vtype(v, cfg.env_parse_enums, 0, &mut Vec::new())),
                    _ => None,
                },
                file: owner.file.clone(),
                line: f.line,
            });
        }
    }

    /// The readable `@field_validator` raises on top-level string fields of
    /// `c` and its bases.
    fn validator_rules(&mut self, c: &ClassRef, names: &[EnvName]) -> Vec<ValidatorRule> {
        let fields = self.fields(c);
        let index = |n: &str| fields.iter().position(|(_, f)| f.name == n);
        let env_names = |path: &str| -> Vec<String> {
            names
                .iter()
                .filter(|n| n.path == path && !n.wildcard)
                .map(|n| n.name.clone())
                .collect()
        };
        let mut chain = Vec::new();
        self.mro(c, &mut chain, 0);
        let mut out = Vec::new();
        for k in chain {
            let Some(def) = self.class(&k).cloned() else {
                continue;
            };
            for v in &def.validators {
                if v.mode != "after" && v.mode != "before" {
                    continue;
                }
                for field in &v.fields {
                    let Some(i) = index(field) else { continue };
                    let (owner, f) = fields[i].clone();
                    // `not v` and `len(v)` mean emptiness and length for a str only.
                    if !matches!(self.ty(&owner, &f.annotation, 0), Ty::Str) {
                        continue;
                    }
                    let spec = self.field_spec(&owner, &f);
                    let default = match &spec.default {
                        Some(Value::String(s)) => Some(s.clone()),
                        _ => None,
                    };
                    let guard = match &v.guard {
                        None => None,
                        Some((g, value)) => {
                            // info.data holds only the fields validated before this one.
                            let Some(j) = index(g).filter(|j| *j < i) else {
                                continue;
                            };
                            let Some(Value::String(value)) = self.literal_value(&k, value) else {
                                continue;
                            };
                            let (gowner, gf) = fields[j].clone();
                            let gspec = self.field_spec(&gowner, &gf);
                            Some(RuleGuard {
                                field: g.clone(),
                                names: env_names(g),
                                value,
                                default: match gspec.default {
                                    Some(Value::String(s)) => Some(s),
                                    _ => None,
                                },
                            })
                        }
                    };
                    let raises: Vec<RuleRaise> = v
                        .raises
                        .iter()
                        .map(|r| RuleRaise {
                            when: r
                                .when
                                .iter()
                                .filter_map(|c| match c {
                                    syntax::Cond::Falsy => Some(RuleCheck::Empty),
                                    syntax::Cond::In(xs) => Some(RuleCheck::OneOf(
                                        xs.iter()
                                            .filter_map(|x| match x {
                                                Expr::Str(s) => Some(s.clone()),
                                                _ => None,
                                            })
                                            .collect(),
                                    )),
                                    syntax::Cond::LenLt(n) => {
                                        usize::try_from(*n).ok().map(RuleCheck::ShorterThan)
                                    }
                                })
                                .collect(),
                            line: r.line,
                            message: r.message.clone(),
                        })
                        .filter(|r| !r.when.is_empty())
                        .collect();
                    if raises.is_empty() {
                        continue;
                    }
                    out.push(ValidatorRule {
                        validator: format!("{}.{}", def.name, v.name),
                        field: field.clone(),
                        names: env_names(field),
                        default,
                        guard,
                        raises,
                        file: k.file.clone(),
                        line: v.line,
                    });
                }
            }
        }
        out
    }

    /// The validation shape of a type (see [`VType`]); `parse_enums`:
    /// enum names are accepted at the top of an environment value.
    fn vtype(
        &mut self,
        ty: &Ty,
        parse_enums: bool,
        depth: usize,
        seen: &mut Vec<ClassRef>,
    ) -> VType {
        if depth > MAX_NESTING {
            return VType::Any;
        }
        let d = depth + 1;
        let with = |t: VType, c: &Constraints| match t {
            VType::Str { constraints } => VType::Str {
                constraints: constraints.merged(c),
            },
            VType::Int { constraints } => VType::Int {
                constraints: constraints.merged(c),
            },
            VType::Float { constraints } => VType::Float {
                constraints: constraints.merged(c),
            },
            VType::Secret { constraints } => VType::Secret {
                constraints: constraints.merged(c),
            },
            VType::List { item, constraints } => VType::List {
                item,
                constraints: constraints.merged(c),
            },
            VType::Optional(t) => VType::Optional(t),
            // Constraints on a type readyctl does not bound: not checked.
            t => t,
        };
        let none = Constraints::default;
        match ty {
            Ty::Str => VType::Str {
                constraints: none(),
            },
            Ty::Int => VType::Int {
                constraints: none(),
            },
            Ty::Float => VType::Float {
                constraints: none(),
            },
            Ty::Bool => VType::Bool,
            Ty::Bytes => VType::Str {
                constraints: none(),
            },
            Ty::Secret(_) => VType::Secret {
                constraints: none(),
            },
            Ty::Formatted(_, "uri" | "multi-host-uri", name) => VType::Url {
                name: name.to_string(),
            },
            Ty::Formatted(..) => VType::Any,
            Ty::Array(item) => VType::List {
                item: Box::new(self.vtype(item, false, d, seen)),
                constraints: none(),
            },
            Ty::Tuple(items) => VType::Tuple {
                items: items
                    .iter()
                    .map(|t| self.vtype(t, false, d, seen))
                    .collect(),
            },
            Ty::Dict(v) => VType::Dict {
                value: Box::new(self.vtype(v, false, d, seen)),
            },
            Ty::Enum(values, names) => VType::Choices {
                values: values.clone(),
                names: if parse_enums {
                    names.clone()
                } else {
                    Vec::new()
                },
                is_enum: true,
            },
            Ty::Literal(values) => VType::Choices {
                values: values.clone(),
                names: Vec::new(),
                is_enum: false,
            },
            Ty::Optional(t) => match self.vtype(t, parse_enums, d, seen) {
                VType::Any => VType::Any,
                v => VType::Optional(Box::new(v)),
            },
            Ty::Union(ts) => {
                let vs: Vec<VType> = ts
                    .iter()
                    .map(|t| self.vtype(t, parse_enums, d, seen))
                    .collect();
                if vs.contains(&VType::Any) {
                    VType::Any
                } else {
                    VType::Union(vs)
                }
            }
            Ty::Constrained(t, c) => {
                // Through Optional, as pydantic applies a field's constraints.
                match self.vtype(t, parse_enums, d, seen) {
                    VType::Optional(inner) => VType::Optional(Box::new(with(*inner, c))),
                    v => with(v, c),
                }
            }
            Ty::Model(c) => {
                if seen.contains(c) {
                    return VType::Any;
                }
                seen.push(c.clone());
                let sub_cfg = self.config(c);
                let mut fields = Vec::new();
                let mut readable = true;
                for (o2, f2) in self.fields(c) {
                    let spec = self.field_spec(&o2, &f2);
                    if spec.alias_unreadable.is_some() || self.has_alias_generator(c) {
                        readable = false;
                        break;
                    }
                    let t2 = self.ty(&o2, &f2.annotation, 0);
                    let t2 = constrained(t2, spec.constraints.clone());
                    let mut keys: Vec<String> =
                        spec.aliases.iter().map(|(a, _)| a.clone()).collect();
                    if keys.is_empty() || sub_cfg.populate_by_name {
                        keys.push(f2.name.clone());
                    }
                    let deep = spec.aliases.iter().any(|(_, deep)| *deep);
                    fields.push(ModelField {
                        keys,
                        ty: if deep {
                            VType::Any
                        } else {
                            self.vtype(&t2, false, d, seen)
                        },
                        required: !spec.has_default,
                    });
                }
                seen.pop();
                if !readable {
                    return VType::Any;
                }
                let name = c.path.last().cloned().unwrap_or_default();
                VType::Model { name, fields }
            }
            Ty::Any | Ty::Opaque(_) => VType::Any,
        }
    }

    /// Default, factory and aliases from the value and `Annotated[…, Field(…)]`.
    fn field_spec(&mut self, owner: &ClassRef, f: &FieldDef) -> FieldSpec {
        let mut spec = FieldSpec::default();
        let mut field_calls: Vec<&Expr> = Vec::new();
        if let Expr::Subscript(base, args) = &f.annotation
            && base.last_name() == Some("Annotated")
        {
            field_calls.extend(args.iter().skip(1).filter(|a| is_field_call(a)));
        }
        match &f.value {
            None => {}
            Some(v) if is_field_call(v) => field_calls.push(v),
            Some(v) => {
                spec.has_default = true;
                self.set_default(owner, v, &mut spec);
            }
        }
        for call in field_calls {
            let Expr::Call { args, kwargs, .. } = call else {
                continue;
            };
            let default = args.first().or_else(|| call.kwarg("default"));
            if let Some(d) = default
                && *d != Expr::Ellipsis
            {
                spec.has_default = true;
                self.set_default(owner, d, &mut spec);
            }
            if let Some(fac) = call.kwarg("default_factory") {
                spec.has_default = true;
                spec.factory = true;
                spec.default_text = Some(match fac {
                    Expr::Lambda => "factory: lambda".to_string(),
                    f => format!("factory: {}()", expr_text(f)),
                });
            }
            spec.constraints = spec.constraints.merged(&constraints_of(call));
            let alias = call
                .kwarg("validation_alias")
                .or_else(|| call.kwarg("alias"));
            if let Some(a) = alias {
                match alias_keys(a) {
                    Some(keys) => spec.aliases = keys,
                    None if *a == Expr::None => {}
                    None => spec.alias_unreadable = Some(format!("`{}`", expr_text(a))),
                }
            }
            let _ = kwargs;
        }
        spec
    }

    fn set_default(&mut self, owner: &ClassRef, v: &Expr, spec: &mut FieldSpec) {
        match self.literal_value(owner, v) {
            Some(j) => spec.default = Some(j),
            None => spec.default_text = Some(expr_text(v)),
        }
    }

    /// A Python literal (or enum member, or module constant) as JSON.
    fn literal_value(&mut self, scope: &ClassRef, e: &Expr) -> Option<Value> {
        self.literal_at(scope, e, 0)
    }

    fn literal_at(&mut self, scope: &ClassRef, e: &Expr, depth: usize) -> Option<Value> {
        if depth > 16 {
            return None;
        }
        Some(match e {
            Expr::Str(s) => Value::String(s.clone()),
            Expr::Int(i) => Value::from(*i),
            Expr::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number)?,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::None => Value::Null,
            Expr::List(xs) | Expr::Tuple(xs) | Expr::Set(xs) => Value::Array(
                xs.iter()
                    .map(|x| self.literal_at(scope, x, depth + 1))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Expr::Dict(pairs) => {
                let mut m = serde_json::Map::new();
                for (k, v) in pairs {
                    let Expr::Str(k) = k else { return None };
                    m.insert(k.clone(), self.literal_at(scope, v, depth + 1)?);
                }
                Value::Object(m)
            }
            Expr::Attr(base, member) => {
                let Sym::Class(c) = self.resolve_expr(scope, base) else {
                    return None;
                };
                let def = self.class(&c)?.clone();
                if self.kind_of(&c, 0) != Kind::Enum {
                    return None;
                }
                let (_, _, v) = def.assigns.iter().find(|(n, _, _)| n == member)?;
                return self.literal_at(&c, v, depth + 1);
            }
            Expr::Name(n) => match self.lookup(scope, n) {
                Sym::Constant(c) => return self.literal_at(scope, &c, depth + 1),
                _ => return None,
            },
            Expr::Call {
                func, args, kwargs, ..
            } if kwargs.is_empty()
                && matches!(
                    func.last_name(),
                    Some("frozenset" | "set" | "tuple" | "list")
                )
                && args.len() <= 1 =>
            {
                match args.first() {
                    None => Value::Array(Vec::new()),
                    Some(a) => self.literal_at(scope, a, depth + 1)?,
                }
            }
            _ => return None,
        })
    }

    fn ty(&mut self, scope: &ClassRef, e: &Expr, depth: usize) -> Ty {
        if depth > 16 {
            return Ty::Any;
        }
        let d = depth + 1;
        match e {
            Expr::Str(s) => {
                // A string annotation (forward reference): parse it as an expression.
                match syntax::parse(&format!("_x = ({s})\n")) {
                    Ok(m) => match m.constants.get("_x") {
                        Some(x) if !matches!(x, Expr::Str(_)) => self.ty(scope, &x.clone(), d),
                        _ => Ty::Opaque(s.clone()),
                    },
                    Err(_) => Ty::Opaque(s.clone()),
                }
            }
            Expr::None => Ty::Optional(Box::new(Ty::Any)),
            Expr::Or(a, b) => union(vec![self.ty(scope, a, d), self.ty(scope, b, d)]),
            Expr::Subscript(base, args) => {
                let name = self.type_name(scope, base);
                match name.as_str() {
                    "Optional" => match args.first() {
                        Some(a) => Ty::Optional(Box::new(self.ty(scope, a, d))),
                        None => Ty::Any,
                    },
                    "Union" => {
                        let ts: Vec<Ty> = flatten_args(args)
                            .iter()
                            .map(|a| self.ty(scope, a, d))
                            .collect();
                        union(ts)
                    }
                    "Annotated" => {
                        let inner = args
                            .first()
                            .map(|a| self.ty(scope, a, d))
                            .unwrap_or(Ty::Any);
                        let mut c = Constraints::default();
                        for m in args.iter().skip(1) {
                            c = c.merged(&constraints_of(m));
                        }
                        constrained(inner, c)
                    }
                    "Literal" => {
                        let vals: Option<Vec<Value>> = flatten_args(args)
                            .iter()
                            .map(|a| self.literal_value(scope, a))
                            .collect();
                        match vals {
                            Some(v) => Ty::Literal(v),
                            None => Ty::Str,
                        }
                    }
                    "tuple" | "Tuple" => {
                        let items = flatten_args(args);
                        match items.as_slice() {
                            [x, Expr::Ellipsis] => Ty::Array(Box::new(self.ty(scope, x, d))),
                            xs => Ty::Tuple(xs.iter().map(|x| self.ty(scope, x, d)).collect()),
                        }
                    }
                    "list" | "List" | "set" | "Set" | "frozenset" | "FrozenSet" | "Sequence"
                    | "MutableSequence" | "AbstractSet" | "MutableSet" | "Deque" | "deque" => {
                        let item = flatten_args(args)
                            .first()
                            .map(|x| self.ty(scope, x, d))
                            .unwrap_or(Ty::Any);
                        Ty::Array(Box::new(item))
                    }
                    "dict" | "Dict" | "Mapping" | "MutableMapping" | "OrderedDict"
                    | "DefaultDict" | "defaultdict" => {
                        let value = flatten_args(args)
                            .get(1)
                            .map(|x| self.ty(scope, x, d))
                            .unwrap_or(Ty::Any);
                        Ty::Dict(Box::new(value))
                    }
                    "Secret" => Ty::Secret(None),
                    "Json" => Ty::Any,
                    "ClassVar" => Ty::Any,
                    _ => self.ty(scope, base, d),
                }
            }
            Expr::Name(_) | Expr::Attr(..) => {
                let sym = self.resolve_expr(scope, e);
                match sym {
                    Sym::Class(c) => match self.kind_of(&c, 0) {
                        Kind::Model | Kind::Settings => Ty::Model(c),
                        Kind::Enum => {
                            let (values, names) = self.enum_members(&c);
                            Ty::Enum(values, names)
                        }
                        Kind::Other => Ty::Opaque(c.path.join(".")),
                    },
                    Sym::External(_, n) => builtin(&n),
                    Sym::Constant(_) | Sym::Unknown | Sym::Module(_) => {
                        Ty::Opaque(e.dotted().unwrap_or_default())
                    }
                }
            }
            // conint(ge=1), constr(min_length=3), conlist(int, max_length=3)
            Expr::Call { func, args, .. } => {
                let c = constraints_of(e);
                let base = match self.type_name(scope, func).as_str() {
                    "conint" => Ty::Int,
                    "confloat" | "condecimal" => Ty::Float,
                    "constr" => Ty::Str,
                    "conbytes" => Ty::Bytes,
                    "conlist" | "conset" | "confrozenset" => Ty::Array(Box::new(
                        args.first()
                            .or_else(|| e.kwarg("item_type"))
                            .map(|x| self.ty(scope, x, d))
                            .unwrap_or(Ty::Any),
                    )),
                    _ => return Ty::Any,
                };
                constrained(base, c)
            }
            _ => Ty::Any,
        }
    }

    fn type_name(&mut self, scope: &ClassRef, e: &Expr) -> String {
        match self.resolve_expr(scope, e) {
            Sym::External(_, n) => n,
            _ => e.last_name().unwrap_or("").to_string(),
        }
    }

    /// An enum's member values and names (aliases of a value keep the first name).
    fn enum_members(&mut self, c: &ClassRef) -> (Vec<Value>, Vec<String>) {
        let Some(def) = self.class(c).cloned() else {
            return (Vec::new(), Vec::new());
        };
        let mut out = Vec::new();
        let mut names = Vec::new();
        for (name, _, v) in &def.assigns {
            if name.starts_with('_') {
                continue;
            }
            match self.literal_value(c, v) {
                Some(j) => {
                    names.push(name.clone());
                    if !out.contains(&j) {
                        out.push(j)
                    }
                }
                None => {
                    if let Expr::Call { func, .. } = v
                        && func.last_name() == Some("auto")
                    {
                        self.notes.push(note(&c.file, def.line, format!("enum `{}` uses `auto()`: its values are computed at run time and not checked", def.name)));
                        return (Vec::new(), Vec::new());
                    }
                }
            }
        }
        (out, names)
    }
}

/// `Union[a, b]` is one tuple subscript in some grammars; spread it.
fn flatten_args(args: &[Expr]) -> Vec<Expr> {
    if let [Expr::Tuple(xs)] = args {
        xs.clone()
    } else {
        args.to_vec()
    }
}

fn union(ts: Vec<Ty>) -> Ty {
    let mut flat: Vec<Ty> = Vec::new();
    let mut optional = false;
    for t in ts {
        match t {
            Ty::Optional(inner) => {
                optional = true;
                if !matches!(*inner, Ty::Any) {
                    flat.push(*inner);
                }
            }
            Ty::Union(xs) => flat.extend(xs),
            t => flat.push(t),
        }
    }
    let inner = if flat.len() == 1 {
        flat.pop().unwrap_or(Ty::Any)
    } else {
        Ty::Union(flat)
    };
    if optional {
        Ty::Optional(Box::new(inner))
    } else {
        inner
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Other,
    Enum,
    Model,
    Settings,
}

fn kind_by_name(n: &str) -> Kind {
    match n {
        "BaseSettings" => Kind::Settings,
        "BaseModel" | "RootModel" => Kind::Model,
        "Enum" | "StrEnum" | "IntEnum" | "Flag" | "IntFlag" => Kind::Enum,
        _ => Kind::Other,
    }
}

/// Built-in and pydantic types by their original name.
fn builtin(n: &str) -> Ty {
    match n {
        "str" | "constr" | "StrictStr" => Ty::Str,
        "int" | "conint" | "StrictInt" => Ty::Int,
        "float" | "confloat" | "StrictFloat" => Ty::Float,
        "PositiveInt" | "NegativeInt" | "NonNegativeInt" | "NonPositiveInt" => {
            constrained(Ty::Int, sign_bound(n))
        }
        "PositiveFloat" | "NegativeFloat" | "NonNegativeFloat" | "NonPositiveFloat" => {
            constrained(Ty::Float, sign_bound(n))
        }
        "bool" | "StrictBool" => Ty::Bool,
        "bytes" | "conbytes" => Ty::Bytes,
        "SecretStr" => Ty::Secret(None),
        "SecretBytes" => Ty::Secret(None),
        "list" | "List" | "set" | "Set" | "frozenset" | "FrozenSet" | "tuple" | "Tuple"
        | "Sequence" => Ty::Array(Box::new(Ty::Any)),
        "dict" | "Dict" | "Mapping" => Ty::Dict(Box::new(Ty::Any)),
        "PostgresDsn" | "CockroachDsn" | "MongoDsn" | "NatsDsn" => {
            Ty::Formatted("string", "multi-host-uri", url_name(n))
        }
        "AnyUrl" | "AnyHttpUrl" | "HttpUrl" | "RedisDsn" | "AmqpDsn" | "KafkaDsn" | "MySQLDsn"
        | "MariaDBDsn" | "ClickHouseDsn" | "SnowflakeDsn" | "FileUrl" | "FtpUrl"
        | "WebsocketUrl" | "AnyWebsocketUrl" => Ty::Formatted("string", "uri", url_name(n)),
        "EmailStr" => Ty::Formatted("string", "email", ""),
        "NameEmail" => Ty::Formatted("string", "name-email", ""),
        "datetime" | "AwareDatetime" | "NaiveDatetime" | "PastDatetime" | "FutureDatetime" => {
            Ty::Formatted("string", "date-time", "")
        }
        "date" | "PastDate" | "FutureDate" => Ty::Formatted("string", "date", ""),
        "time" => Ty::Formatted("string", "time", ""),
        "timedelta" => Ty::Formatted("string", "duration", ""),
        "UUID" | "UUID1" | "UUID3" | "UUID4" | "UUID5" => Ty::Formatted("string", "uuid", ""),
        "Path" | "FilePath" | "DirectoryPath" | "NewPath" => Ty::Formatted("string", "path", ""),
        "IPvAnyAddress" => Ty::Formatted("string", "ipvanyaddress", ""),
        "IPv4Address" => Ty::Formatted("string", "ipv4", ""),
        "IPv6Address" => Ty::Formatted("string", "ipv6", ""),
        "Any" | "object" => Ty::Any,
        other => Ty::Opaque(other.to_string()),
    }
}

/// The bound of `PositiveInt`, `NonNegativeFloat`, ….
fn sign_bound(n: &str) -> Constraints {
    let zero = Some(0.0);
    let mut c = Constraints::default();
    if n.starts_with("Positive") {
        c.gt = zero;
    } else if n.starts_with("Negative") {
        c.lt = zero;
    } else if n.starts_with("NonNegative") {
        c.ge = zero;
    } else {
        c.le = zero;
    }
    c
}

fn constrained(t: Ty, c: Constraints) -> Ty {
    if c.is_empty() {
        t
    } else {
        match t {
            Ty::Constrained(inner, c0) => Ty::Constrained(inner, c0.merged(&c)),
            t => Ty::Constrained(Box::new(t), c),
        }
    }
}

/// The constraints a `Field(…)`, `conint(…)`-style call or an
/// `annotated_types` marker (`Ge(1)`, `MinLen(3)`) states with literals.
fn constraints_of(e: &Expr) -> Constraints {
    let num = |e: &Expr| -> Option<f64> {
        match e {
            Expr::Int(i) => Some(*i as f64),
            Expr::Float(f) => Some(*f),
            Expr::Neg(x) => match x.as_ref() {
                Expr::Int(i) => Some(-(*i as f64)),
                Expr::Float(f) => Some(-*f),
                _ => None,
            },
            _ => None,
        }
    };
    let len = |e: &Expr| -> Option<u64> {
        match e {
            Expr::Int(i) if *i >= 0 => Some(*i as u64),
            _ => None,
        }
    };
    let mut c = Constraints::default();
    let Expr::Call { func, args, .. } = e else {
        return c;
    };
    match func.last_name() {
        Some("Gt") => c.gt = args.first().and_then(num),
        Some("Ge") => c.ge = args.first().and_then(num),
        Some("Lt") => c.lt = args.first().and_then(num),
        Some("Le") => c.le = args.first().and_then(num),
        Some("MultipleOf") => c.multiple_of = args.first().and_then(num),
        Some("MinLen") => c.min_length = args.first().and_then(len),
        Some("MaxLen") => c.max_length = args.first().and_then(len),
        _ => {
            c.gt = e.kwarg("gt").and_then(num);
            c.ge = e.kwarg("ge").and_then(num);
            c.lt = e.kwarg("lt").and_then(num);
            c.le = e.kwarg("le").and_then(num);
            c.multiple_of = e.kwarg("multiple_of").and_then(num);
            c.min_length = e.kwarg("min_length").and_then(len);
            c.max_length = e.kwarg("max_length").and_then(len);
            c.pattern = match e.kwarg("pattern").or_else(|| e.kwarg("regex")) {
                Some(Expr::Str(p)) => Some(p.clone()),
                _ => None,
            };
        }
    }
    c
}

/// The URL types' names as `'static` strings (the rules in `value` key on them).
fn url_name(n: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "PostgresDsn",
        "CockroachDsn",
        "MongoDsn",
        "NatsDsn",
        "AnyUrl",
        "AnyHttpUrl",
        "HttpUrl",
        "RedisDsn",
        "AmqpDsn",
        "KafkaDsn",
        "MySQLDsn",
        "MariaDBDsn",
        "ClickHouseDsn",
        "SnowflakeDsn",
        "FileUrl",
        "FtpUrl",
        "WebsocketUrl",
        "AnyWebsocketUrl",
    ];
    NAMES.iter().find(|x| **x == n).copied().unwrap_or("AnyUrl")
}

/// Names of types whose values are scalars readyctl need not look inside.
fn known_scalar(n: &str) -> bool {
    matches!(
        n,
        "Decimal"
            | "IPvAnyNetwork"
            | "IPvAnyInterface"
            | "Pattern"
            | "ByteSize"
            | "ImportString"
            | "Color"
            | "PaymentCardNumber"
            | "Callable"
            | "Type"
            | "type"
    )
}

/// `SettingsConfigDict(…)`, `ConfigDict(…)`, `dict(…)`: a config whose keys are its keyword arguments.
fn is_config_call(func: &Expr) -> bool {
    matches!(
        func.last_name(),
        Some("SettingsConfigDict" | "ConfigDict" | "dict")
    )
}

fn is_classvar(e: &Expr) -> bool {
    match e {
        Expr::Subscript(b, _) => b.last_name() == Some("ClassVar"),
        Expr::Name(n) | Expr::Attr(_, n) => n == "ClassVar",
        _ => false,
    }
}

fn is_field_call(e: &Expr) -> bool {
    matches!(e, Expr::Call { func, .. } if func.last_name() == Some("Field"))
}

/// Validation keys from an alias expression: `"x"`, `AliasChoices("a", AliasPath("b", 0))`, `AliasPath("c", "d")`.
fn alias_keys(e: &Expr) -> Option<Vec<(String, bool)>> {
    match e {
        Expr::Str(s) => Some(vec![(s.clone(), false)]),
        Expr::Call {
            func,
            args,
            star: false,
            ..
        } => match func.last_name()? {
            "AliasChoices" => {
                let mut out = Vec::new();
                for a in args {
                    out.extend(alias_keys(a)?);
                }
                Some(out)
            }
            "AliasPath" => match args.first()? {
                Expr::Str(s) => Some(vec![(s.clone(), args.len() > 1)]),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// An expression rendered back to short Python text, for the `settings` table and messages.
pub(super) fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Name(n) => n.clone(),
        Expr::Attr(v, a) => format!("{}.{a}", expr_text(v)),
        Expr::Str(s) => format!("{s:?}"),
        Expr::Int(i) => i.to_string(),
        Expr::Float(f) => format!("{f:?}"),
        Expr::Bool(b) => if *b { "True" } else { "False" }.into(),
        Expr::None => "None".into(),
        Expr::Ellipsis => "...".into(),
        Expr::List(xs) => format!("[{}]", join(xs)),
        Expr::Tuple(xs) => format!("({})", join(xs)),
        Expr::Set(xs) => format!("{{{}}}", join(xs)),
        Expr::Dict(ps) => format!(
            "{{{}}}",
            ps.iter()
                .map(|(k, v)| format!("{}: {}", expr_text(k), expr_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::Call {
            func, args, kwargs, ..
        } => {
            let mut parts: Vec<String> = args.iter().map(expr_text).collect();
            parts.extend(kwargs.iter().map(|(k, v)| format!("{k}={}", expr_text(v))));
            let s = format!("{}({})", expr_text(func), parts.join(", "));
            if s.len() > 80 {
                format!("{}(…)", expr_text(func))
            } else {
                s
            }
        }
        Expr::Subscript(b, xs) => format!("{}[{}]", expr_text(b), join(xs)),
        Expr::Or(a, b) => format!("{} | {}", expr_text(a), expr_text(b)),
        Expr::Neg(x) => format!("-{}", expr_text(x)),
        Expr::Lambda => "lambda: …".into(),
        Expr::Other(s) => {
            let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
            if one.chars().count() > 80 {
                format!("{}…", one.chars().take(79).collect::<String>())
            } else {
                one
            }
        }
    }
}

fn join(xs: &[Expr]) -> String {
    xs.iter().map(expr_text).collect::<Vec<_>>().join(", ")
}
