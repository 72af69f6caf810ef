//! The house rules, checked on the source (tests only): the floors and the direction of
//! imports, no import cycle between modules, SQL only in `store/` and run on the concrete
//! backend. `docs/architecture.md` says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its floor, top down: a module may import its own floor's and
/// the floors below, never one above.
const FLOORS: &[(&str, u8)] = &[
    ("main", 0),
    ("cli", 0),
    ("startup", 1),
    ("web", 2),
    // Use cases, and what they share.
    ("state", 3),
    ("launch", 3),
    ("contract", 3),
    ("followup", 3),
    ("course", 3),
    ("grades", 3),
    ("access", 3),
    ("roster", 3),
    ("registration", 3),
    ("keyring", 3),
    ("access_tokens", 3),
    ("store", 4),
    // Pure cores: no SQL, no HTTP server.
    ("lti", 5),
    ("questionnaire", 5),
    ("export", 5),
    ("i18n", 5),
    ("failure", 5),
    ("config", 5),
    ("moodle_ws", 5),
    ("telemetry", 5),
    ("house", 5),
];

fn floor(module: &str) -> Option<u8> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

/// Every `.rs` file under `src/`, with its top-level module and its text without its tests.
fn sources() -> Vec<(PathBuf, String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| !p.starts_with(src.join("questionnaire/tests")))
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap().to_path_buf();
            let module = relative
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_string();
            (relative, module, code)
        })
        .collect()
}

/// The top-level modules a text names (`crate::name`, `crate::{a, b::c}`).
fn imports(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(group.split(',').map(ident));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

#[test]
fn every_module_has_a_floor() {
    for (path, module, _) in sources() {
        if module == "lib" {
            continue;
        }
        assert!(
            floor(&module).is_some(),
            "{}: add `{module}` to FLOORS",
            path.display()
        );
    }
}

#[test]
fn no_import_runs_back_up() {
    let mut offenders = Vec::new();
    for (path, module, code) in sources() {
        let Some(own) = floor(&module) else { continue };
        for imported in imports(&code) {
            if let Some(theirs) = floor(&imported)
                && theirs < own
            {
                offenders.push(format!("{}: {module} imports {imported}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "imports running back up: {offenders:#?}"
    );
}

#[test]
fn no_cycle_between_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, module, code) in sources() {
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(imports(&code).into_iter().filter(|m| *m != module));
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            return Some(path[i..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let found = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(found.is_none(), "import cycle: {found:?}");
    }
}

/// Diesel, the schema's tables and the backend runners are named only in `store/`.
#[test]
fn sql_lives_in_store() {
    let banned = [
        "diesel::",
        "store::schema",
        "RunOnBackend",
        "load_on(",
        "get_result_on(",
        "execute_on(",
        "columns::<",
    ];
    let mut offenders = Vec::new();
    for (path, module, code) in sources() {
        if module == "store" {
            continue;
        }
        for b in banned {
            if code.contains(b) {
                offenders.push(format!("{}: {b}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "SQL outside store/: {offenders:#?}");
}

/// web/ is HTTP adapters only: none of its functions takes a database connection (the
/// reads and writes a page needs are use-case functions, called through `DbPool::run`).
#[test]
fn web_takes_no_connection() {
    let mut offenders = Vec::new();
    for (path, module, code) in sources() {
        if module != "web" {
            continue;
        }
        for (n, line) in code.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("conn: &mut") || (l.contains("fn ") && l.contains("conn: &mut")) {
                offenders.push(format!("{}:{}", path.display(), n + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "web functions taking a connection: {offenders:#?}"
    );
}

/// Queries run on the concrete connection (`load_on`, `get_result_on`, `execute_on`):
/// diesel's own methods called with the `MultiConnection` rebuild the SQL at every call.
/// And no `.first()`: diesel binds LIMIT, and SQLite then re-prepares at every execution.
#[test]
fn queries_run_on_the_backend() {
    let banned = [
        concat!(".load", "(conn)"),
        concat!(".load", "::<"),
        concat!(".get_result", "(conn)"),
        concat!(".get_result", "::<"),
        concat!(".get_results", "(conn)"),
        concat!(".execute", "(conn)"),
        concat!("::as_", "select()"),
        concat!(".fir", "st(conn"),
    ];
    let mut offenders = Vec::new();
    for (path, _, code) in sources() {
        for b in banned {
            if code.contains(b) {
                offenders.push(format!("{}: {b}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "run queries with load_on/get_result_on/execute_on, select columns::<T>(), no first(): \
         {offenders:#?}"
    );
}
