//! Where a JSON path is written in a file, so a problem points at the line
//! to edit: the quote opening its key, or its deepest written ancestor.

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `a.b[0].c` → `[a, b, 0, c]`.
fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key.to_owned()));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                out.push(Step::Index(i));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// Where `path` is written in `json`: the quote opening its key (or the
/// bracket opening an array element), else its deepest written ancestor's;
/// (1, 1) when none is. A scan, not a parse: it follows objects, arrays and
/// strings, and ignores everything else.
pub(super) fn locate(json: &str, path: &str) -> (usize, usize) {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    fn current(stack: &[Frame]) -> Vec<Step> {
        stack
            .iter()
            .filter_map(|f| match f {
                Frame::Object { key } => key.clone().map(Step::Key),
                Frame::Array { index } => Some(Step::Index(*index)),
            })
            .collect()
    }
    let target = steps(path);
    let mut best: (usize, usize) = (0, 0); // (depth, byte offset)
    let mut consider = |at: &[Step], offset: usize| {
        if at.len() > best.0 && at.len() <= target.len() && target[..at.len()] == *at {
            best = (at.len(), offset);
        }
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut expecting_key = false;
    let mut chars = json.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' | '[' => {
                if matches!(stack.last(), Some(Frame::Array { .. })) {
                    consider(&current(&stack), at);
                }
                if c == '{' {
                    stack.push(Frame::Object { key: None });
                    expecting_key = true;
                } else {
                    stack.push(Frame::Array { index: 0 });
                }
            }
            '}' | ']' => {
                stack.pop();
                expecting_key = false;
            }
            ',' => match stack.last_mut() {
                Some(Frame::Object { key }) => {
                    *key = None;
                    expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            ':' => expecting_key = false,
            '"' => {
                let text = string_rest(&mut chars);
                match stack.last_mut() {
                    Some(Frame::Object { key }) if expecting_key => {
                        *key = Some(text);
                        consider(&current(&stack), at);
                    }
                    // A string element: `lifecycleStages[1]`.
                    Some(Frame::Array { .. }) => consider(&current(&stack), at),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if best.0 == 0 {
        return (1, 1);
    }
    line_column(json, best.1)
}

/// The rest of a JSON string after its opening quote, unescaped enough to
/// compare keys; the closing quote is consumed.
fn string_rest(chars: &mut std::str::CharIndices<'_>) -> String {
    let mut text = String::new();
    let mut escaped = false;
    for (_, c) in chars.by_ref() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => break,
            _ => {
                text.push(c);
                escaped = false;
            }
        }
    }
    text
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |n| n + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}
