//! From raw instructions to the [`Dockerfile`] model, in one pass in file order.
//!
//! The pass keeps the state a build keeps: the global `ARG`s (usable only in `FROM`), and for
//! the current stage its `ARG`s, its `ENV`s and its `SHELL`. A stage built `FROM` an earlier
//! stage inherits that stage's `ENV` and `SHELL` but not its `ARG`s. `--build-arg` values
//! replace the defaults of the `ARG`s they name, as they do in a build.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use palisade_load::{Diagnostic, DiagnosticKind, Span};
use palisade_model::ImageRef;

use crate::expand::{Expanded, Lookup, expand};
use crate::lexer::{RawHeredoc, RawInstruction, lex, looks_like_json};
use crate::model::*;
use crate::shell::{self, Script};
use crate::source::{LineIndex, Mapped};
use crate::words;

/// What the caller knows about the build.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--build-arg NAME=VALUE` values.
    pub build_args: BTreeMap<String, String>,
}

/// Parses a Dockerfile. Never fails: problems are located diagnostics in the result, and an
/// instruction that cannot be read is skipped while the rest of the file is still read.
pub fn parse(text: &str, options: &Options) -> Dockerfile {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lexed = lex(text);
    let mut b = Builder {
        text,
        lines: LineIndex::new(text),
        escape: lexed.directives.escape,
        options,
        df: Dockerfile {
            directives: lexed.directives.clone(),
            ..Dockerfile::default()
        },
        global: HashMap::new(),
        scope: None,
        scopes: Vec::new(),
        warned_shell: Vec::new(),
    };
    for (message, range) in &lexed.errors {
        b.error(message.clone(), range.clone());
    }

    let mut model_index: Vec<Option<usize>> = Vec::with_capacity(lexed.instructions.len());
    for raw in &lexed.instructions {
        let before = b.df.instructions.len();
        b.instruction(raw);
        model_index.push((b.df.instructions.len() > before).then_some(before));
    }
    b.close_stage();

    for c in &lexed.comments {
        let next = model_index
            .get(c.before_instruction..)
            .and_then(|rest| rest.iter().flatten().next().copied());
        let span = b.span(c.range.clone());
        b.df.comments.push(Comment {
            text: c.text.clone(),
            span,
            next_instruction: next,
        });
    }

    if b.df.stages.is_empty() {
        let end = text.len();
        b.error(
            "no `FROM` instruction: a Dockerfile needs at least one build stage".into(),
            end..end,
        );
    }
    b.df.diagnostics.sort_by_key(|d| d.span.start);
    b.df
}

/// The state of the stage being read.
#[derive(Clone)]
struct Scope {
    args: HashMap<String, Lookup>,
    env: HashMap<String, Lookup>,
    shell: ShellInfo,
    windows: bool,
}

struct Builder<'a> {
    text: &'a str,
    lines: LineIndex,
    escape: char,
    options: &'a Options,
    df: Dockerfile,
    global: HashMap<String, Lookup>,
    scope: Option<Scope>,
    /// The final scope of every stage, for stages built from them.
    scopes: Vec<Scope>,
    /// Stages already warned about a shell that is not analysed.
    warned_shell: Vec<usize>,
}

impl Builder<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        self.lines.span(self.text, range)
    }

    fn error(&mut self, message: String, range: Range<usize>) {
        let span = self.span(range);
        self.df.diagnostics.push(Diagnostic {
            kind: DiagnosticKind::Syntax,
            message,
            span,
        });
    }

    fn warn_shell(&mut self, message: String, span: Span) {
        self.df.diagnostics.push(Diagnostic {
            kind: DiagnosticKind::ShellNotAnalysed,
            message,
            span,
        });
    }

    /// A word of `rest` at `range`, its value unquoted but not yet expanded.
    fn word(&self, rest: &Mapped, range: Range<usize>) -> Word {
        let raw = rest.text[range.clone()].to_string();
        let e = expand(&raw, self.escape, &|_| Lookup::Unknown);
        Word {
            value: e.value,
            complete: !raw.contains('$'),
            raw,
            span: self.span(rest.range(range.start, range.end)),
        }
    }

    fn lookup(&self, name: &str) -> Lookup {
        match &self.scope {
            Some(scope) => scope
                .env
                .get(name)
                .or_else(|| scope.args.get(name))
                .cloned()
                .unwrap_or(Lookup::Unknown),
            None => self.global.get(name).cloned().unwrap_or(Lookup::Unknown),
        }
    }

    /// Expands a word in the current scope (the global one before the first `FROM`, and for
    /// `FROM` lines).
    fn expand_word(&self, w: &mut Word, global: bool) {
        let e: Expanded = if global {
            expand(&w.raw, self.escape, &|n| {
                self.global.get(n).cloned().unwrap_or(Lookup::Unknown)
            })
        } else {
            expand(&w.raw, self.escape, &|n| self.lookup(n))
        };
        w.value = e.value;
        w.complete = e.complete;
    }

    fn instruction(&mut self, raw: &RawInstruction) {
        let Some(keyword) = Keyword::parse(&raw.keyword) else {
            self.error(unknown_instruction(&raw.keyword), raw.keyword_range.clone());
            return;
        };
        let heredocs: Vec<Heredoc> = raw
            .heredocs
            .iter()
            .map(|h| self.heredoc(h, &raw.rest))
            .collect();
        let keyword_span = self.span(raw.keyword_range.clone());
        let span = self.span(raw.range.clone());

        let (keyword, keyword_span, rest, onbuild) = if keyword == Keyword::Onbuild {
            let words = words::split(&raw.rest.text, self.escape);
            let Some(first) = words.first() else {
                self.error(
                    "`ONBUILD` needs an instruction to run".into(),
                    raw.keyword_range.clone(),
                );
                return;
            };
            let inner_text = &raw.rest.text[first.clone()];
            let Some(inner) = Keyword::parse(inner_text) else {
                self.error(
                    unknown_instruction(inner_text),
                    raw.rest.range(first.start, first.end),
                );
                return;
            };
            if matches!(
                inner,
                Keyword::Onbuild | Keyword::From | Keyword::Maintainer
            ) {
                self.error(
                    format!("`ONBUILD` cannot run `{}`", inner.as_str()),
                    raw.rest.range(first.start, first.end),
                );
                return;
            }
            let after = raw.rest.slice(first.end, raw.rest.text.len());
            let lead = after.text.len() - after.text.trim_start().len();
            let inner_rest = after.slice(lead, after.text.len());
            let inner_span = self.span(raw.rest.range(first.start, first.end));
            (inner, inner_span, inner_rest, Some(keyword_span))
        } else {
            (keyword, keyword_span, raw.rest.clone(), None)
        };

        if keyword == Keyword::From {
            self.close_stage();
        } else if self.scope.is_none() && keyword != Keyword::Arg {
            self.error(
                format!(
                    "`{}` before the first `FROM`: only `ARG` may come before it",
                    keyword.as_str()
                ),
                raw.keyword_range.clone(),
            );
        }

        let (flags, rest) = if matches!(
            keyword,
            Keyword::From | Keyword::Run | Keyword::Copy | Keyword::Add | Keyword::Healthcheck
        ) {
            self.flags(&rest)
        } else {
            (Vec::new(), rest)
        };
        let index = self.df.instructions.len();
        let stage = match keyword {
            Keyword::From => Some(self.df.stages.len()),
            _ if self.scope.is_some() => self.df.stages.len().checked_sub(1),
            _ => None,
        };
        // BuildKit expands the words of these instructions and stops at an unclosed quote.
        let expands = matches!(
            keyword,
            Keyword::From
                | Keyword::Env
                | Keyword::Label
                | Keyword::Arg
                | Keyword::Copy
                | Keyword::Add
                | Keyword::Workdir
                | Keyword::User
                | Keyword::Expose
                | Keyword::Volume
                | Keyword::Stopsignal
        );
        if expands && let Some(at) = words::unclosed_quote(&rest.text, self.escape) {
            let quote = &rest.text[at..at + 1];
            let start = rest.offset(at);
            self.error(
                format!(
                    "this `{quote}` is never closed, so BuildKit refuses this `{}`",
                    keyword.as_str()
                ),
                start..start + 1,
            );
        }
        let body = match self.body(keyword, &rest, heredocs) {
            Ok(body) => body,
            Err(message) => {
                self.error(
                    message,
                    raw.range.start..raw.range.start + raw.keyword.len(),
                );
                Body::Invalid
            }
        };
        let mut instruction = Instruction {
            index,
            keyword,
            keyword_span,
            span,
            stage,
            onbuild,
            flags,
            body,
        };
        self.apply(&mut instruction);
        if keyword == Keyword::Run && onbuild.is_none() {
            self.analyse_run(&mut instruction, &rest, &raw.rest, &raw.heredocs);
        }
        self.df.instructions.push(instruction);
    }

    fn heredoc(&self, h: &RawHeredoc, rest: &Mapped) -> Heredoc {
        Heredoc {
            delimiter: h.delimiter.clone(),
            expand: h.expand,
            body: h.body.text.clone(),
            marker_span: self.span(rest.range(h.marker.start, h.marker.end)),
            span: self.span(h.range.clone()),
        }
    }

    /// Leading `--name[=value]` words.
    fn flags(&self, rest: &Mapped) -> (Vec<Flag>, Mapped) {
        let mut flags = Vec::new();
        let mut next = 0;
        for w in words::split(&rest.text, self.escape) {
            let text = &rest.text[w.clone()];
            let Some(body) = text.strip_prefix("--") else {
                break;
            };
            let (name, value) = match body.find('=') {
                Some(eq) => {
                    let at = w.start + 2 + eq + 1;
                    (&body[..eq], Some(self.word(rest, at..w.end)))
                }
                None => (body, None),
            };
            flags.push(Flag {
                name: name.to_ascii_lowercase(),
                value,
                span: self.span(rest.range(w.start, w.end)),
            });
            next = w.end;
        }
        let after = rest.slice(next, rest.text.len());
        let lead = after.text.len() - after.text.trim_start().len();
        (flags, after.slice(lead, after.text.len()))
    }

    fn words(&self, rest: &Mapped) -> Vec<Word> {
        words::split(&rest.text, self.escape)
            .into_iter()
            .map(|r| self.word(rest, r))
            .collect()
    }

    /// Exec form when `rest` is a JSON array of strings, else shell form.
    fn command_form(&self, rest: &Mapped) -> CommandForm {
        let span = self.span(rest.range(0, rest.text.len()));
        match words::json_array(&rest.text) {
            Some(items) if rest.text.starts_with('[') => CommandForm::Exec {
                args: items
                    .into_iter()
                    .map(|(value, r)| Word {
                        raw: rest.text[r.clone()].to_string(),
                        value,
                        complete: true,
                        span: self.span(rest.range(r.start, r.end)),
                    })
                    .collect(),
                span,
            },
            _ => CommandForm::Shell {
                text: rest.text.clone(),
                span,
            },
        }
    }

    fn body(
        &mut self,
        keyword: Keyword,
        rest: &Mapped,
        heredocs: Vec<Heredoc>,
    ) -> Result<Body, String> {
        let name = keyword.as_str();
        let needs_args = || format!("`{name}` needs at least one argument");
        Ok(match keyword {
            Keyword::From => {
                let ws = self.words(rest);
                match ws.as_slice() {
                    [image] => Body::From {
                        image: image.clone(),
                        alias: None,
                    },
                    [image, as_, alias] if as_.raw.eq_ignore_ascii_case("as") => Body::From {
                        image: image.clone(),
                        alias: Some(alias.clone()),
                    },
                    _ => return Err("`FROM` takes an image and optionally `AS name`".into()),
                }
            }
            Keyword::Run => {
                if rest.text.is_empty() {
                    return Err(needs_args());
                }
                let command = self.command_form(rest);
                Body::Run(Run {
                    command,
                    heredocs,
                    shell: ShellInfo::default(),
                    script: None,
                })
            }
            Keyword::Cmd => Body::Cmd(self.command_form(rest)),
            Keyword::Entrypoint => Body::Entrypoint(self.command_form(rest)),
            Keyword::Healthcheck => {
                let ws = words::split(&rest.text, self.escape);
                let Some(first) = ws.first() else {
                    return Err("`HEALTHCHECK` takes `NONE` or `CMD` and a command".into());
                };
                match rest.text[first.clone()].to_ascii_uppercase().as_str() {
                    "NONE" if ws.len() == 1 => Body::Healthcheck(None),
                    "CMD" => {
                        let after = rest.slice(first.end, rest.text.len());
                        let lead = after.text.len() - after.text.trim_start().len();
                        let cmd = after.slice(lead, after.text.len());
                        if cmd.text.is_empty() {
                            return Err("`HEALTHCHECK CMD` needs a command".into());
                        }
                        Body::Healthcheck(Some(self.command_form(&cmd)))
                    }
                    _ => return Err("`HEALTHCHECK` takes `NONE` or `CMD` and a command".into()),
                }
            }
            Keyword::Shell => match words::json_array(&rest.text) {
                Some(items) if !items.is_empty() => Body::Shell(
                    items
                        .into_iter()
                        .map(|(value, r)| Word {
                            raw: rest.text[r.clone()].to_string(),
                            value,
                            complete: true,
                            span: self.span(rest.range(r.start, r.end)),
                        })
                        .collect(),
                ),
                _ => return Err("`SHELL` needs its arguments as a JSON array".into()),
            },
            Keyword::Copy | Keyword::Add => {
                let items: Vec<Word> = if looks_like_json(&rest.text) {
                    match self.command_form(rest) {
                        CommandForm::Exec { args, .. } => args,
                        CommandForm::Shell { .. } => Vec::new(),
                    }
                } else {
                    self.words(rest)
                };
                let Some((dest, sources)) = items.split_last() else {
                    return Err(format!("`{name}` needs a source and a destination"));
                };
                let mut heredocs = heredocs.into_iter();
                let sources: Vec<Source> = sources
                    .iter()
                    .map(|w| {
                        if w.raw
                            .trim_start_matches(|c: char| c.is_ascii_digit())
                            .starts_with("<<")
                            && let Some(h) = heredocs.next()
                        {
                            return Source::Heredoc(h);
                        }
                        Source::Path(w.clone())
                    })
                    .collect();
                if sources.is_empty() {
                    return Err(format!("`{name}` needs a source and a destination"));
                }
                let t = Transfer {
                    sources,
                    dest: dest.clone(),
                };
                if keyword == Keyword::Copy {
                    Body::Copy(t)
                } else {
                    Body::Add(t)
                }
            }
            Keyword::Env | Keyword::Label => {
                let pairs = self.pairs(rest, name)?;
                if keyword == Keyword::Env {
                    Body::Env(pairs)
                } else {
                    Body::Label(pairs)
                }
            }
            Keyword::Arg => {
                let mut decls = Vec::new();
                for r in words::split(&rest.text, self.escape) {
                    let text = &rest.text[r.clone()];
                    let (name_len, default) = match text.find('=') {
                        Some(eq) => (eq, Some(self.word(rest, r.start + eq + 1..r.end))),
                        None => (text.len(), None),
                    };
                    decls.push(ArgDecl {
                        name: text[..name_len].to_string(),
                        name_span: self.span(rest.range(r.start, r.start + name_len)),
                        default,
                    });
                }
                if decls.is_empty() {
                    return Err(needs_args());
                }
                Body::Arg(decls)
            }
            Keyword::Expose | Keyword::Volume => {
                let ws = if keyword == Keyword::Volume && looks_like_json(&rest.text) {
                    match self.command_form(rest) {
                        CommandForm::Exec { args, .. } => args,
                        CommandForm::Shell { .. } => Vec::new(),
                    }
                } else {
                    self.words(rest)
                };
                if ws.is_empty() {
                    return Err(needs_args());
                }
                if keyword == Keyword::Expose {
                    Body::Expose(ws)
                } else {
                    Body::Volume(ws)
                }
            }
            Keyword::User | Keyword::Workdir | Keyword::Stopsignal | Keyword::Maintainer => {
                if rest.text.is_empty() {
                    return Err(needs_args());
                }
                let w = self.word(rest, 0..rest.text.len());
                match keyword {
                    Keyword::User => Body::User(w),
                    Keyword::Workdir => Body::Workdir(w),
                    Keyword::Stopsignal => Body::Stopsignal(w),
                    _ => Body::Maintainer(w),
                }
            }
            Keyword::Onbuild => return Err("`ONBUILD` cannot be nested".into()),
        })
    }

    /// `key=value …`, or the legacy `key value` with everything after the key as its value.
    fn pairs(&self, rest: &Mapped, name: &str) -> Result<Vec<Pair>, String> {
        let ranges = words::split(&rest.text, self.escape);
        let Some(first) = ranges.first() else {
            return Err(format!("`{name}` needs at least one `key=value`"));
        };
        if !rest.text[first.clone()].contains('=') {
            let key = rest.text[first.clone()].to_string();
            let after = rest.slice(first.end, rest.text.len());
            let lead = after.text.len() - after.text.trim_start().len();
            let value_start = first.end + lead;
            return Ok(vec![Pair {
                key: key.clone(),
                key_span: self.span(rest.range(first.start, first.end)),
                value: self.word(rest, value_start..rest.text.len()),
            }]);
        }
        let mut out = Vec::new();
        for r in ranges {
            let text = &rest.text[r.clone()];
            let Some(eq) = text.find('=') else {
                return Err(format!(
                    "`{name}` expects `key=value` pairs, and `{text}` has no `=`"
                ));
            };
            let key = expand(&text[..eq], self.escape, &|_| Lookup::Unknown).value;
            out.push(Pair {
                key,
                key_span: self.span(rest.range(r.start, r.start + eq)),
                value: self.word(rest, r.start + eq + 1..r.end),
            });
        }
        Ok(out)
    }

    /// Applies the instruction to the build state and expands its words.
    fn apply(&mut self, ins: &mut Instruction) {
        let in_stage = self.scope.is_some();
        match &mut ins.body {
            Body::From { image, alias } => {
                self.expand_word(image, true);
                for f in &mut ins.flags {
                    if let Some(v) = &mut f.value {
                        self.expand_word(v, true);
                    }
                }
                let index = self.df.stages.len();
                let base = self.base(image);
                let parent = match base {
                    Base::Stage(i) => self.scopes.get(i).cloned(),
                    _ => None,
                };
                let windows = match (&base, &parent) {
                    (_, Some(p)) => p.windows,
                    (Base::Image(r), _) => is_windows_image(r),
                    _ => false,
                };
                let mut scope = Scope {
                    args: HashMap::new(),
                    env: parent.as_ref().map(|p| p.env.clone()).unwrap_or_default(),
                    shell: parent.as_ref().map(|p| p.shell.clone()).unwrap_or_default(),
                    windows,
                };
                if windows && parent.is_none() {
                    scope.shell = ShellInfo {
                        argv: vec!["cmd".into(), "/S".into(), "/C".into()],
                        posix: false,
                        pipefail: false,
                        set_at: None,
                    };
                }
                self.scope = Some(scope);
                self.df.stages.push(Stage {
                    index,
                    name: alias.as_ref().map(|a| a.value.clone()),
                    from: ins.index,
                    instructions: ins.index + 1..ins.index + 1,
                    base,
                    windows,
                });
            }
            Body::Arg(decls) => {
                for d in decls.iter_mut() {
                    if let Some(w) = &mut d.default {
                        self.expand_word(w, !in_stage);
                    }
                    let given = self.options.build_args.get(&d.name).cloned();
                    let value = match (given, &d.default) {
                        (Some(v), _) => Lookup::Value(v),
                        (None, Some(w)) if w.complete => Lookup::Value(w.value.clone()),
                        (None, Some(_)) => Lookup::Unknown,
                        (None, None) if in_stage => {
                            self.global.get(&d.name).cloned().unwrap_or(Lookup::Unknown)
                        }
                        (None, None) => Lookup::Unknown,
                    };
                    match &mut self.scope {
                        Some(scope) => {
                            scope.args.insert(d.name.clone(), value);
                        }
                        None => {
                            self.global.insert(d.name.clone(), value);
                        }
                    }
                }
            }
            Body::Env(pairs) => {
                let mut values = Vec::new();
                for p in pairs.iter_mut() {
                    self.expand_word(&mut p.value, false);
                    values.push((
                        p.key.clone(),
                        if p.value.complete {
                            Lookup::Value(p.value.value.clone())
                        } else {
                            Lookup::Unknown
                        },
                    ));
                }
                if ins.onbuild.is_none()
                    && let Some(scope) = &mut self.scope
                {
                    scope.env.extend(values);
                }
            }
            Body::Label(pairs) => {
                for p in pairs.iter_mut() {
                    self.expand_word(&mut p.value, false);
                }
            }
            Body::Copy(t) | Body::Add(t) => {
                for s in &mut t.sources {
                    if let Source::Path(w) = s {
                        self.expand_word(w, false);
                    }
                }
                self.expand_word(&mut t.dest, false);
                for f in &mut ins.flags {
                    if let Some(v) = &mut f.value {
                        self.expand_word(v, false);
                    }
                }
            }
            Body::Expose(ws) | Body::Volume(ws) => {
                for w in ws.iter_mut() {
                    self.expand_word(w, false);
                }
            }
            Body::User(w) | Body::Workdir(w) | Body::Stopsignal(w) => self.expand_word(w, false),
            Body::Shell(argv) => {
                let argv: Vec<String> = argv.iter().map(|w| w.value.clone()).collect();
                let program = argv
                    .first()
                    .map(|p| {
                        let p = p.rsplit(['/', '\\']).next().unwrap_or(p);
                        let p = p.to_ascii_lowercase();
                        p.strip_suffix(".exe").map(str::to_string).unwrap_or(p)
                    })
                    .unwrap_or_default();
                let posix = shell::is_shell(&program);
                // `-o pipefail`, or options bundled before it (`-eo pipefail`).
                let pipefail = argv.windows(2).any(|w| {
                    w[0].starts_with('-')
                        && !w[0].starts_with("--")
                        && w[0].ends_with('o')
                        && w[1] == "pipefail"
                });
                let windows = matches!(program.as_str(), "powershell" | "pwsh" | "cmd");
                if ins.onbuild.is_none()
                    && let Some(scope) = &mut self.scope
                {
                    scope.shell = ShellInfo {
                        argv,
                        posix,
                        pipefail,
                        set_at: Some(ins.span),
                    };
                    scope.windows |= windows;
                    if let Some(stage) = self.df.stages.last_mut() {
                        stage.windows |= windows;
                    }
                }
            }
            _ => {}
        }
        if let Some(stage) = self.df.stages.last_mut()
            && ins.keyword != Keyword::From
            && in_stage
        {
            stage.instructions.end = ins.index + 1;
        }
    }

    fn base(&self, image: &Word) -> Base {
        if !image.complete {
            return Base::Unresolved;
        }
        let value = image.value.trim();
        if value.eq_ignore_ascii_case("scratch") {
            return Base::Scratch;
        }
        if let Some(i) = self.df.stages.iter().position(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(value))
        }) {
            return Base::Stage(i);
        }
        Base::Image(ImageRef::parse(value))
    }

    fn close_stage(&mut self) {
        if let Some(scope) = self.scope.take() {
            self.scopes.push(scope);
        }
    }

    fn analyse_run(
        &mut self,
        ins: &mut Instruction,
        rest: &Mapped,
        full_rest: &Mapped,
        heredocs: &[RawHeredoc],
    ) {
        let Some(scope) = &self.scope else { return };
        let shell_info = scope.shell.clone();
        let Body::Run(run) = &mut ins.body else {
            return;
        };
        run.shell = shell_info.clone();
        if !run.command.is_shell() {
            return;
        }
        if !shell_info.posix {
            let stage = ins.stage.unwrap_or(0);
            if !self.warned_shell.contains(&stage) {
                self.warned_shell.push(stage);
                let program = shell_info.argv.first().cloned().unwrap_or_default();
                let at = shell_info.set_at.unwrap_or(ins.keyword_span);
                self.warn_shell(
                    format!(
                        "the shell of this stage (`{program}`) is not a POSIX shell: its `RUN` \
                         commands are not analysed, and the rules that read commands skip them"
                    ),
                    Span::new(at.start, at.start),
                );
            }
            return;
        }

        // Heredoc markers are ranges in the text before the flags were taken off.
        let marker_words: Vec<String> = heredocs.iter().map(|h| h.delimiter.clone()).collect();
        let script_only = !heredocs.is_empty()
            && words::split(&rest.text, self.escape).iter().all(|r| {
                let w = &rest.text[r.clone()];
                w.trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with("<<")
                    && marker_words.iter().any(|d| w.contains(d.as_str()))
            });
        let result = if script_only {
            let mut script = Script::default();
            let mut result = Ok(());
            for h in heredocs {
                if let Some(interpreter) = shebang(&h.body.text)
                    && !shell::is_shell(shell::basename(&interpreter))
                {
                    continue;
                }
                match shell::analyse_body(&h.body) {
                    Ok(s) => script.extend(s),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            result.map(|_| script)
        } else {
            let texts: Vec<shell::HeredocText<'_>> = heredocs
                .iter()
                .map(|h| shell::HeredocText {
                    marker: full_rest.range(h.marker.start, h.marker.end),
                    delimiter: &h.delimiter,
                    body: &h.body,
                })
                .collect();
            shell::analyse(rest, &texts)
        };
        match result {
            Ok(mut script) => {
                script.locate(&|r| self.span(r));
                run.script = Some(script);
            }
            Err(e) => {
                let pos = self.lines.pos(self.text, e.offset);
                self.warn_shell(
                    format!(
                        "this `RUN` could not be read as shell ({}); the rules that read commands skip it",
                        e.message
                    ),
                    Span::new(pos, pos),
                );
            }
        }
    }
}

/// The interpreter named by a `#!` first line.
fn shebang(body: &str) -> Option<String> {
    let first = body.lines().next()?.strip_prefix("#!")?;
    let mut parts = first.split_whitespace();
    let program = parts.next()?;
    if shell::basename(program) == "env" {
        return parts.find(|p| !p.starts_with('-')).map(str::to_string);
    }
    Some(program.to_string())
}

/// Windows base images: their default shell is `cmd`.
fn is_windows_image(r: &ImageRef) -> bool {
    let repo = r.repository.to_ascii_lowercase();
    let tag = r.tag.as_deref().unwrap_or("").to_ascii_lowercase();
    (r.registry == "mcr.microsoft.com" && repo.starts_with("windows"))
        || tag.contains("windowsservercore")
        || tag.contains("nanoserver")
}

/// The error for a word that is not an instruction. The word is quoted only when it is a
/// plain word (a misspelt keyword) and otherwise only up to an `=`: a continuation line that
/// lost its `\` reads as `NAME=value`, and the value may be a secret.
fn unknown_instruction(word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_alphabetic()) && word.len() <= 20 {
        return format!("unknown instruction `{word}`");
    }
    match word.split_once('=') {
        Some((name, _)) if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            format!(
                "unknown instruction `{name}=…`: is this a continuation line whose previous \
                 line lacks a trailing `\\`?"
            )
        }
        _ => "this line does not start with an instruction: is it a continuation line whose \
              previous line lacks a trailing `\\`?"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df(text: &str) -> Dockerfile {
        parse(text, &Options::default())
    }

    fn image(df: &Dockerfile, stage: usize) -> String {
        match &df.stages[stage].base {
            Base::Image(r) => r.raw.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn global_args_resolve_from_lines_only() {
        let d = df(
            "ARG IMAGE=alpine\nARG TAG\nFROM ${IMAGE}:${TAG:-3.20} AS a\nRUN echo\n\
                    FROM $IMAGE:$TAG\nWORKDIR /$IMAGE\nARG IMAGE\nWORKDIR /$IMAGE\n",
        );
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(image(&d, 0), "alpine:3.20");
        assert!(matches!(d.stages[1].base, Base::Unresolved));
        let workdirs: Vec<&Word> = d
            .instructions
            .iter()
            .filter_map(|i| match &i.body {
                Body::Workdir(w) => Some(w),
                _ => None,
            })
            .collect();
        assert!(
            !workdirs[0].complete,
            "a global ARG is not visible in a stage"
        );
        assert_eq!(workdirs[1].value, "/alpine");
        assert!(
            workdirs[1].complete,
            "a re-declared ARG takes the global value"
        );
    }

    #[test]
    fn build_args_override_defaults() {
        let mut options = Options::default();
        options
            .build_args
            .insert("BASE".into(), "registry.example.com/base:1.2".into());
        let d = parse("ARG BASE=ubuntu\nFROM $BASE\n", &options);
        assert_eq!(image(&d, 0), "registry.example.com/base:1.2");
    }

    #[test]
    fn env_wins_and_stages_inherit_env() {
        let d = df("FROM a AS one\nARG X=arg\nENV X=env Y=$X\nFROM one\nWORKDIR /$X/$Y\n");
        let Body::Workdir(w) = &d.instructions[4].body else {
            panic!()
        };
        assert_eq!(w.value, "/env/arg");
        assert!(matches!(d.stages[1].base, Base::Stage(0)));
    }

    #[test]
    fn heredoc_scripts_are_analysed() {
        let d = df(
            "FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n\
                    RUN cat <<EOF > /etc/x && sh <<SH\nnot a command\nEOF\nsudo id\nSH\n",
        );
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        let s1 = d.instructions[1].run().unwrap().script.as_ref().unwrap();
        assert_eq!(s1.commands.len(), 2);
        assert_eq!(s1.commands[1].args[2].span.start.line, 4);
        let s2 = d.instructions[2].run().unwrap().script.as_ref().unwrap();
        let names: Vec<&str> = s2.commands.iter().map(|c| c.program()).collect();
        assert_eq!(names, ["cat", "sh", "sudo"]);
        assert_eq!(s2.commands[2].span.start.line, 9);
    }

    #[test]
    fn a_heredoc_before_its_shell_is_the_shell_script() {
        for run in [
            "<<EOT bash",
            "<<EOT sh",
            "<<EOT /bin/sh -e",
            "bash <<EOT",
            "<<EOT /usr/bin/env bash",
            "env -i bash <<EOT",
        ] {
            let d = df(&format!("FROM a\nRUN {run}\nsudo id\nEOT\n"));
            assert!(d.diagnostics.is_empty(), "{run}: {:?}", d.diagnostics);
            let s = d.instructions[1].run().unwrap().script.as_ref().unwrap();
            let names: Vec<&str> = s.commands.iter().map(|c| c.program()).collect();
            assert_eq!(names.last(), Some(&"sudo"), "{run}: {names:?}");
            assert_eq!(s.commands.last().unwrap().span.start.line, 3, "{run}");
        }
        // Data for a program that is not a shell stays data.
        let d = df("FROM a\nRUN <<EOT cat > /x\nsudo id\nEOT\n");
        let s = d.instructions[1].run().unwrap().script.as_ref().unwrap();
        assert!(s.commands.iter().all(|c| c.program() != "sudo"));
    }

    #[test]
    fn unknown_instructions_never_quote_a_value() {
        let d = df("FROM a\nENV A=1\n    DB_PASSWORD=Leak999\nEVN X=1\nghp_Leak123/x\n");
        let messages: Vec<&str> = d.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("`DB_PASSWORD=…`"), "{messages:?}");
        assert!(messages[1].contains("`EVN`"), "{messages:?}");
        assert!(messages.iter().all(|m| !m.contains("Leak")), "{messages:?}");
    }

    #[test]
    fn continuation_positions_point_into_the_file() {
        let d =
            df("FROM a\nRUN apt-get update \\\n# comment\n    && apt-get install \\\n      curl\n");
        let s = d.instructions[1].run().unwrap().script.as_ref().unwrap();
        let curl = &s.commands[1].args[1];
        assert_eq!(curl.value, "curl");
        assert_eq!((curl.span.start.line, curl.span.start.column), (5, 7));
        assert_eq!(d.comments.len(), 0);
    }

    #[test]
    fn escape_directive_and_windows_shells() {
        let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n\
                    SHELL [\"powershell\", \"-Command\"]\nRUN Write-Host `\n  hi | Out-Null\n";
        let d = df(text);
        assert_eq!(d.directives.escape, '`');
        assert!(d.stages[0].windows);
        assert!(d.instructions[2].run().unwrap().script.is_none());
        assert_eq!(d.diagnostics.len(), 1);
        assert_eq!(d.diagnostics[0].kind, DiagnosticKind::ShellNotAnalysed);
    }

    #[test]
    fn bad_instructions_are_located_and_reading_goes_on() {
        let d = df("FROM a\nFOO bar\nRUN\nCOPY onlyone\nSHELL /bin/bash\nUSER app\n");
        let lines: Vec<u32> = d.diagnostics.iter().map(|d| d.span.start.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert!(
            d.diagnostics
                .iter()
                .all(|d| d.kind == DiagnosticKind::Syntax)
        );
        assert!(matches!(d.instructions.last().unwrap().body, Body::User(_)));
    }

    #[test]
    fn exec_and_shell_forms() {
        let d = df("FROM a\nCMD [\"run\", \"--x\"]\nENTRYPOINT ['x']\nRUN [\"a\"]\n");
        let Body::Cmd(CommandForm::Exec { args, .. }) = &d.instructions[1].body else {
            panic!()
        };
        assert_eq!(args[1].value, "--x");
        assert!(matches!(
            &d.instructions[2].body,
            Body::Entrypoint(CommandForm::Shell { .. })
        ));
        assert!(d.instructions[3].run().unwrap().script.is_none());
    }

    #[test]
    fn flags_env_pairs_and_onbuild() {
        let d = df(
            "FROM --platform=$BUILDPLATFORM a AS b\nCOPY --from=b --chmod=755 x y /z/\n\
                    ENV A=1 B=\"two words\"\nENV LEGACY some value\nONBUILD RUN sudo x\n",
        );
        assert_eq!(
            d.instructions[0]
                .flag("platform")
                .unwrap()
                .value
                .as_ref()
                .unwrap()
                .raw,
            "$BUILDPLATFORM"
        );
        let copy = &d.instructions[1];
        assert_eq!(
            copy.flag("from").unwrap().value.as_ref().unwrap().value,
            "b"
        );
        let Body::Env(pairs) = &d.instructions[2].body else {
            panic!()
        };
        assert_eq!(pairs[1].value.value, "two words");
        let Body::Env(pairs) = &d.instructions[3].body else {
            panic!()
        };
        assert_eq!(
            (pairs[0].key.as_str(), pairs[0].value.value.as_str()),
            ("LEGACY", "some value")
        );
        let onbuild = &d.instructions[4];
        assert_eq!(onbuild.keyword, Keyword::Run);
        assert!(onbuild.onbuild.is_some());
    }

    #[test]
    fn comments_know_the_next_instruction() {
        let d = df("# hadolint global ignore=DL3008\nFROM a\n# palisade ignore=DKR001\nRUN x\n");
        assert_eq!(d.comments.len(), 2);
        assert_eq!(d.comments[0].next_instruction, Some(0));
        assert_eq!(d.comments[1].next_instruction, Some(1));
    }

    #[test]
    fn an_unclosed_quote_in_an_expanded_instruction_is_an_error_at_the_quote() {
        let d = df(
            "FROM a:1\nENV A=\"foo\nLABEL b='c\nCOPY \"x y\" /z\nENV B=\"ok \\\" still\" C='1'\nRUN echo \"shell's own\n",
        );
        let errors: Vec<(u32, u32)> = d
            .diagnostics
            .iter()
            .filter(|x| x.kind.is_error())
            .map(|x| (x.span.start.line, x.span.start.column))
            .collect();
        assert_eq!(errors, [(2, 7), (3, 9)], "{:?}", d.diagnostics);
        assert!(d.diagnostics[0].message.contains("never closed"));
    }

    #[test]
    fn no_from_is_an_error() {
        let d = df("ARG A\n");
        assert_eq!(d.diagnostics.len(), 1);
    }
}
