//! Shell analysis of `RUN` commands, in process.
//!
//! A shell-form `RUN` (and a heredoc that a shell runs) is parsed with `brush-parser`, a
//! POSIX and bash parser, and flattened into a [`Script`]: every simple command in source
//! order with its name, arguments and prefix assignments, which pipeline and which top-level
//! list it belongs to, and whether it runs in a subshell. Command substitutions (`$(…)`,
//! backticks) and process substitutions (`<(…)`) are parsed too; the commands found there are
//! marked [`nested`](Command::nested) and located at the word that holds them. Rules then ask
//! structural questions ("is `curl` piped into `sh`?", "which packages does this `apt-get
//! install` name?") instead of matching text.
//!
//! Positions: brush-parser counts characters of the text it is given; the text is a logical
//! line whose every byte knows its file offset, so each word is located exactly in the file.
//!
//! Text that brush-parser cannot parse, is larger than [`MAX_SCRIPT_BYTES`] or nests deeper
//! than [`MAX_NESTING`] gives no script; the caller reports that as a warning.

use std::ops::Range;

use brush_parser::ast::{self, SourceLocation};
use palisade_load::Span;

use crate::source::Mapped;

/// Scripts larger than this are not analysed.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Scripts whose brackets nest deeper than this are not analysed (the parser recurses).
pub const MAX_NESTING: usize = 64;
/// How deep command substitutions inside words are followed.
const MAX_SUBSTITUTION_DEPTH: usize = 6;

/// A word of a shell command: its raw text, the text with quotes and escapes removed, and
/// where it is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellWord {
    pub raw: String,
    pub value: String,
    pub span: Span,
    pub(crate) range: Range<usize>,
}

/// One simple command.
#[derive(Debug, Clone)]
pub struct Command {
    /// The command name as written (`apt-get`, `/usr/bin/curl`).
    pub name: ShellWord,
    pub args: Vec<ShellWord>,
    /// `NAME=value` words before the command name.
    pub assignments: Vec<(String, ShellWord)>,
    /// Heredocs fed to the command, as indexes into the instruction's heredocs.
    pub heredocs: Vec<usize>,
    /// The pipeline the command belongs to, an index into [`Script::pipelines`].
    pub pipeline: usize,
    /// The top-level list (`a && b || c` up to `;` or a line break) it belongs to.
    pub list: usize,
    /// Inside `( … )`, `$( … )`, backticks or `<( … )`: a change of directory or shell option
    /// does not outlive it.
    pub subshell: bool,
    /// Found inside a word (command or process substitution) rather than written as a command.
    pub nested: bool,
    /// From the command name to its last argument.
    pub span: Span,
    pub(crate) range: Range<usize>,
}

impl Command {
    /// The program run, without its directory: `/usr/bin/apt-get` → `apt-get`.
    pub fn program(&self) -> &str {
        basename(&self.name.value)
    }

    /// The arguments' values.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.value.as_str())
    }
}

/// The last path component of a command name.
pub fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// A pipeline of one or more commands (`a | b`).
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The members in order: a simple command's index into [`Script::commands`], or `None` for
    /// a compound member (`{ … }`, `( … )`, `if …`).
    pub members: Vec<Option<usize>>,
    pub nested: bool,
    pub span: Span,
    pub(crate) range: Range<usize>,
}

/// The commands of one shell text.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    pub pipelines: Vec<Pipeline>,
}

impl Script {
    /// Fills in the spans from the file ranges.
    pub(crate) fn locate(&mut self, span: &dyn Fn(Range<usize>) -> Span) {
        for c in &mut self.commands {
            c.span = span(c.range.clone());
            c.name.span = span(c.name.range.clone());
            for w in c
                .args
                .iter_mut()
                .chain(c.assignments.iter_mut().map(|(_, w)| w))
            {
                w.span = span(w.range.clone());
            }
        }
        for p in &mut self.pipelines {
            p.span = span(p.range.clone());
        }
    }

    /// Appends the commands of another script.
    pub(crate) fn extend(&mut self, other: Script) {
        let pipelines = self.pipelines.len();
        let commands = self.commands.len();
        let lists = self.commands.last().map_or(0, |c| c.list + 1);
        self.commands
            .extend(other.commands.into_iter().map(|mut c| {
                c.pipeline += pipelines;
                c.list += lists;
                c
            }));
        self.pipelines
            .extend(other.pipelines.into_iter().map(|mut p| {
                for m in p.members.iter_mut().flatten() {
                    *m += commands;
                }
                p
            }));
    }

    /// Pipelines with more than one member.
    pub fn pipes(&self) -> impl Iterator<Item = &Pipeline> {
        self.pipelines.iter().filter(|p| p.members.len() > 1)
    }
}

/// A heredoc's body as a shell sees it, for [`analyse`].
pub(crate) struct HeredocText<'a> {
    /// The file range of the `<<EOF` marker.
    pub marker: Range<usize>,
    pub delimiter: &'a str,
    pub body: &'a Mapped,
}

/// Why a text could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub message: String,
    /// File offset the problem was detected at.
    pub offset: usize,
}

/// Parses `text` (a logical line with `heredocs` after it) into a script.
pub(crate) fn analyse(text: &Mapped, heredocs: &[HeredocText<'_>]) -> Result<Script, ShellError> {
    // The program brush sees: the line, then each heredoc body and its delimiter.
    let mut program = text.clone();
    let end = text.offset(text.text.len());
    program.push_str("\n", end);
    for h in heredocs {
        program.push_mapped(h.body);
        let after = h.body.offset(h.body.text.len());
        program.push_str(h.delimiter, after);
        program.push_str("\n", after);
    }
    program.finish(end);

    let mut walker = Walker::default();
    walker.parse(&program, false, None, 0)?;

    // A heredoc belongs to the command written before its marker, or, when the marker opens
    // the line (`RUN <<EOF bash`: a redirection may precede its command), to the first command
    // after it; a shell fed a heredoc on standard input runs it as a script.
    for (n, h) in heredocs.iter().enumerate() {
        let commands = &walker.script.commands;
        let owner = commands
            .iter()
            .rposition(|c| !c.nested && c.range.start <= h.marker.start)
            .or_else(|| commands.iter().position(|c| !c.nested));
        let Some(owner) = owner else { continue };
        walker.script.commands[owner].heredocs.push(n);
        let cmd = &walker.script.commands[owner];
        // `env bash` runs bash.
        let program = if cmd.program() == "env" {
            cmd.arg_values()
                .find(|a| !a.starts_with('-') && !a.contains('='))
                .map_or("env", basename)
        } else {
            cmd.program()
        };
        if is_shell(program) && !cmd.arg_values().any(|a| a == "-c") {
            walker.parse(h.body, false, None, 0)?;
        }
    }
    Ok(walker.script)
}

/// Parses a heredoc body that is itself the script (`RUN <<EOF`).
pub(crate) fn analyse_body(body: &Mapped) -> Result<Script, ShellError> {
    let mut walker = Walker::default();
    walker.parse(body, false, None, 0)?;
    Ok(walker.script)
}

/// POSIX-family shells whose scripts Palisade reads.
pub fn is_shell(program: &str) -> bool {
    matches!(
        program,
        "sh" | "bash" | "dash" | "ash" | "ksh" | "mksh" | "zsh" | "busybox"
    )
}

#[derive(Default)]
struct Walker {
    script: Script,
    lists: usize,
}

/// Deepest bracket nesting of a text: a cheap guard against parser recursion.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '{' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl Walker {
    /// Parses `text` and adds its commands. `at` locates nested commands at a word.
    fn parse(
        &mut self,
        text: &Mapped,
        subshell: bool,
        at: Option<&Range<usize>>,
        depth: usize,
    ) -> Result<(), ShellError> {
        let fail = |message: String, offset: usize| ShellError { message, offset };
        if text.text.len() > MAX_SCRIPT_BYTES {
            return Err(fail(
                format!(
                    "shell text larger than {} KiB is not analysed",
                    MAX_SCRIPT_BYTES / 1024
                ),
                text.offset(0),
            ));
        }
        if nesting(&text.text) > MAX_NESTING {
            return Err(fail(
                format!("shell text nested deeper than {MAX_NESTING} levels is not analysed"),
                text.offset(0),
            ));
        }
        let parsed = std::panic::catch_unwind(|| {
            let options = brush_parser::ParserOptions::default();
            let mut parser =
                brush_parser::Parser::new(std::io::Cursor::new(text.text.as_bytes()), &options);
            parser.parse_program()
        });
        let program = match parsed {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                let offset = match &e {
                    brush_parser::ParseError::ParsingNear(p) => char_offset(text, p.index),
                    brush_parser::ParseError::Tokenizing {
                        position: Some(p), ..
                    } => char_offset(text, p.index),
                    _ => text.offset(text.text.len()),
                };
                return Err(fail(
                    format!("shell syntax: {e}"),
                    at.map_or(offset, |r| r.start),
                ));
            }
            Err(_) => {
                return Err(fail(
                    "the shell parser failed on this text".into(),
                    at.map_or(text.offset(0), |r| r.start),
                ));
            }
        };
        let cx = Ctx {
            map: text.char_offsets(),
            subshell,
            at: at.cloned(),
            depth,
        };
        for list in &program.complete_commands {
            self.compound_list(list, &cx, true)?;
        }
        Ok(())
    }

    fn compound_list(
        &mut self,
        list: &ast::CompoundList,
        cx: &Ctx,
        top: bool,
    ) -> Result<(), ShellError> {
        for item in &list.0 {
            if top || self.script.commands.is_empty() {
                self.lists += 1;
            }
            let and_or = &item.0;
            self.pipeline(&and_or.first, cx)?;
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p, cx)?,
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &ast::Pipeline, cx: &Ctx) -> Result<(), ShellError> {
        let index = self.script.pipelines.len();
        let range = cx.range(p.location().as_ref());
        self.script.pipelines.push(Pipeline {
            members: Vec::new(),
            nested: cx.at.is_some(),
            span: Span::default(),
            range,
        });
        let mut members = Vec::with_capacity(p.seq.len());
        for cmd in &p.seq {
            members.push(self.command(cmd, index, cx)?);
        }
        self.script.pipelines[index].members = members;
        Ok(())
    }

    /// Adds a command; returns its index when it is a simple command.
    fn command(
        &mut self,
        cmd: &ast::Command,
        pipeline: usize,
        cx: &Ctx,
    ) -> Result<Option<usize>, ShellError> {
        match cmd {
            ast::Command::Simple(simple) => self.simple(simple, pipeline, cx),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound, cx)?;
                if let Some(r) = redirects {
                    for redirect in &r.0 {
                        self.redirect(redirect, cx)?;
                    }
                }
                Ok(None)
            }
            ast::Command::Function(f) => {
                self.compound(&f.body.0, cx)?;
                Ok(None)
            }
            ast::Command::ExtendedTest(..) => Ok(None),
        }
    }

    fn compound(&mut self, c: &ast::CompoundCommand, cx: &Ctx) -> Result<(), ShellError> {
        use ast::CompoundCommand as C;
        match c {
            C::BraceGroup(b) => self.compound_list(&b.list, cx, false),
            C::Subshell(s) => self.compound_list(&s.list, &cx.sub(), false),
            C::ForClause(f) => self.compound_list(&f.body.list, cx, false),
            C::ArithmeticForClause(f) => self.compound_list(&f.body.list, cx, false),
            C::CaseClause(c) => {
                for item in &c.cases {
                    if let Some(list) = &item.cmd {
                        self.compound_list(list, cx, false)?;
                    }
                }
                Ok(())
            }
            C::IfClause(i) => {
                self.compound_list(&i.condition, cx, false)?;
                self.compound_list(&i.then, cx, false)?;
                for e in i.elses.iter().flatten() {
                    if let Some(cond) = &e.condition {
                        self.compound_list(cond, cx, false)?;
                    }
                    self.compound_list(&e.body, cx, false)?;
                }
                Ok(())
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.compound_list(&w.0, cx, false)?;
                self.compound_list(&w.1.list, cx, false)
            }
            C::Coprocess(c) => {
                let index = self.script.pipelines.len().saturating_sub(1);
                self.command(&c.body, index, &cx.sub()).map(|_| ())
            }
            C::Arithmetic(_) => Ok(()),
        }
    }

    fn redirect(&mut self, r: &ast::IoRedirect, cx: &Ctx) -> Result<(), ShellError> {
        if let ast::IoRedirect::File(_, _, ast::IoFileRedirectTarget::ProcessSubstitution(_, s)) = r
        {
            self.compound_list(&s.list, &cx.sub(), false)?;
        }
        Ok(())
    }

    fn simple(
        &mut self,
        s: &ast::SimpleCommand,
        pipeline: usize,
        cx: &Ctx,
    ) -> Result<Option<usize>, ShellError> {
        let mut assignments = Vec::new();
        let mut words: Vec<&ast::Word> = Vec::new();
        let mut later: Vec<(&ast::SubshellCommand, bool)> = Vec::new();
        for item in s.prefix.iter().flat_map(|p| p.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    let name = match &a.name {
                        ast::AssignmentName::VariableName(n) => n.clone(),
                        other => other.to_string(),
                    };
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(v) => v.value.clone(),
                        other => other.to_string(),
                    };
                    let range = cx.range(w.loc.as_ref());
                    assignments.push((
                        name,
                        ShellWord {
                            value: unquote(&value),
                            raw: value,
                            span: Span::default(),
                            range,
                        },
                    ));
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                    later.push((sub, true))
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => self.redirect(r, cx)?,
                ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w),
            }
        }
        if let Some(w) = &s.word_or_name {
            words.push(w);
        }
        for item in s.suffix.iter().flat_map(|p| p.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => words.push(w),
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w) => words.push(w),
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                    later.push((sub, true))
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => self.redirect(r, cx)?,
            }
        }

        let shell_words: Vec<ShellWord> = words
            .iter()
            .map(|w| ShellWord {
                raw: w.value.clone(),
                value: unquote(&w.value),
                span: Span::default(),
                range: cx.range(w.loc.as_ref()),
            })
            .collect();
        let index = match shell_words.split_first() {
            Some((name, args)) => {
                let range = match (shell_words.first(), shell_words.last()) {
                    (Some(a), Some(b)) => a.range.start..b.range.end.max(a.range.start),
                    _ => name.range.clone(),
                };
                let range = match &cx.at {
                    Some(at) => at.clone(),
                    None => range,
                };
                self.script.commands.push(Command {
                    name: name.clone(),
                    args: args.to_vec(),
                    assignments,
                    heredocs: Vec::new(),
                    pipeline,
                    list: self.lists,
                    subshell: cx.subshell,
                    nested: cx.at.is_some(),
                    span: Span::default(),
                    range,
                });
                Some(self.script.commands.len() - 1)
            }
            None => None,
        };

        // Commands inside the words of this one.
        for (sub, _) in later {
            self.compound_list(&sub.list, &cx.sub(), false)?;
        }
        if cx.depth < MAX_SUBSTITUTION_DEPTH {
            for (w, sw) in words.iter().zip(&shell_words) {
                for inner in substitutions(&w.value) {
                    let at = match &cx.at {
                        Some(at) => at.clone(),
                        None => sw.range.clone(),
                    };
                    let mut m = Mapped::default();
                    m.push_str(&inner, at.start);
                    m.finish(at.end);
                    // A substitution that does not parse is not worth failing the RUN for.
                    let _ = self.parse(&m, true, Some(&at), cx.depth + 1);
                }
            }
        }
        Ok(index)
    }
}

struct Ctx {
    /// File offset of each character of the parsed text.
    map: Vec<usize>,
    subshell: bool,
    /// For nested parses: the word every command is located at.
    at: Option<Range<usize>>,
    depth: usize,
}

impl Ctx {
    fn sub(&self) -> Ctx {
        Ctx {
            map: self.map.clone(),
            subshell: true,
            at: self.at.clone(),
            depth: self.depth,
        }
    }

    fn range(&self, loc: Option<&brush_parser::SourceSpan>) -> Range<usize> {
        if let Some(at) = &self.at {
            return at.clone();
        }
        let Some(loc) = loc else { return 0..0 };
        let last = self.map.len().saturating_sub(1);
        let start = self.map[loc.start.index.min(last)];
        let end = if loc.end.index > loc.start.index {
            self.map[(loc.end.index - 1).min(last)] + 1
        } else {
            start
        };
        start..end.max(start)
    }
}

fn char_offset(text: &Mapped, index: usize) -> usize {
    let map = text.char_offsets();
    map[index.min(map.len().saturating_sub(1))]
}

/// The texts of `$( … )` and backtick substitutions in a raw word (not `$(( … ))`).
fn substitutions(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut in_single = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !in_single => i += 1,
            b'\'' => in_single = !in_single,
            b'$' if !in_single
                && bytes.get(i + 1) == Some(&b'(')
                && bytes.get(i + 2) != Some(&b'(') =>
            {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while j < bytes.len() {
                    match bytes[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if let Some(inner) = raw.get(start..j.min(raw.len())) {
                    out.push(inner.to_string());
                }
                i = j;
            }
            b'`' if !in_single => {
                let start = i + 1;
                let end = raw[start..].find('`').map_or(raw.len(), |e| start + e);
                if let Some(inner) = raw.get(start..end) {
                    out.push(inner.to_string());
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// A shell word without its quotes and escapes; expansions are left as written.
pub fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') => {
                if let Some(n) = chars.next()
                    && n != '\n'
                {
                    out.push(n);
                }
            }
            (Some('"'), '\\') => match chars.peek() {
                Some(&n) if matches!(n, '$' | '`' | '"' | '\\') => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            },
            (_, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(text: &str) -> Script {
        let mut m = Mapped::default();
        m.push_str(text, 100);
        m.finish(100 + text.len());
        analyse(&m, &[]).unwrap()
    }

    fn names(s: &Script) -> Vec<&str> {
        s.commands.iter().map(|c| c.name.value.as_str()).collect()
    }

    #[test]
    fn commands_pipelines_and_lists() {
        let s = script("set -eux; apt-get update && apt-get install -y 'curl' | tee log; cd /x");
        assert_eq!(names(&s), ["set", "apt-get", "apt-get", "tee", "cd"]);
        let install = &s.commands[2];
        assert_eq!(
            install.arg_values().collect::<Vec<_>>(),
            ["install", "-y", "curl"]
        );
        assert_eq!(install.args[2].range, 100 + 47..100 + 53);
        assert_eq!(s.pipes().count(), 1);
        assert_eq!(s.commands[1].list, s.commands[3].list);
        assert_ne!(s.commands[0].list, s.commands[1].list);
        assert_ne!(s.commands[4].list, s.commands[1].list);
    }

    #[test]
    fn substitutions_and_subshells_are_followed() {
        let s = script("sh -c \"$(curl -fsSL https://x.io/i.sh)\" && (cd /tmp && make)");
        assert_eq!(names(&s), ["sh", "curl", "cd", "make"]);
        assert!(s.commands[1].nested && s.commands[1].subshell);
        assert_eq!(s.commands[1].range, s.commands[0].args[1].range);
        assert!(s.commands[2].subshell && !s.commands[2].nested);
        let s = script("bash <(wget -qO- https://x.io/i.sh)");
        assert_eq!(names(&s), ["bash", "wget"]);
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote(r#"a"b c"'d'\ e"\$x""#), "ab cd e$x");
    }

    #[test]
    fn bad_syntax_is_an_error_not_a_panic() {
        let mut m = Mapped::default();
        m.push_str("if then fi ((", 0);
        m.finish(13);
        assert!(analyse(&m, &[]).is_err());
        let deep = "(".repeat(500);
        let mut m = Mapped::default();
        m.push_str(&deep, 0);
        m.finish(deep.len());
        assert!(analyse(&m, &[]).is_err());
    }
}
