//! Random operation sequences through the node API, checked against a model.
//!
//! The model is a plain tree of maps, and its path resolution is the textbook recursive
//! one (a link's target resolved by a recursive call, the path split into a `Vec`). It
//! shares no code with the crate, so the crate's allocation-free resolver (a stack of path
//! slices), its entry lists and link counts are checked against an independent reading of
//! the same POSIX rules: every result (including which error) and the whole tree after
//! every operation must agree.

use super::*;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Debug)]
enum M {
    File(Vec<u8>),
    Dir {
        entries: BTreeMap<String, usize>,
        parent: usize,
    },
    Link(String),
}

type R<T> = Result<T, FsError>;

struct Model {
    nodes: HashMap<usize, M>,
    next: usize,
}

const TOP: usize = 0;

enum Loc {
    Existing(usize, bool),
    Missing(usize, String, bool),
}

fn split(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
}

fn special(name: &str) -> bool {
    matches!(name, "" | "." | "..")
}

impl Model {
    fn new() -> Self {
        let root = M::Dir {
            entries: BTreeMap::new(),
            parent: usize::MAX,
        };
        Self {
            nodes: HashMap::from([(TOP, root)]),
            next: 1,
        }
    }

    fn is_dir(&self, n: usize) -> bool {
        matches!(self.nodes[&n], M::Dir { .. })
    }

    fn entries(&self, n: usize) -> &BTreeMap<String, usize> {
        match &self.nodes[&n] {
            M::Dir { entries, .. } => entries,
            _ => unreachable!(),
        }
    }

    fn entries_mut(&mut self, n: usize) -> &mut BTreeMap<String, usize> {
        match self.nodes.get_mut(&n).unwrap() {
            M::Dir { entries, .. } => entries,
            _ => unreachable!(),
        }
    }

    fn walk(
        &self,
        mut cur: usize,
        comps: &[&str],
        follow: bool,
        trailing: bool,
        links: &mut usize,
    ) -> R<usize> {
        for (i, &c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let M::Dir { entries, parent } = &self.nodes[&cur] else {
                return Err(FsError::NotADirectory);
            };
            match c {
                "." => {}
                ".." if cur == TOP => return Err(FsError::EscapesRoot),
                ".." => cur = *parent,
                name => {
                    let child = *entries.get(name).ok_or(FsError::NotFound)?;
                    match &self.nodes[&child] {
                        M::Link(t) if !last || follow || trailing => {
                            *links += 1;
                            if *links > MAX_SYMLINKS {
                                return Err(FsError::Loop);
                            }
                            if t.is_empty() {
                                return Err(FsError::NotFound);
                            }
                            if t.starts_with('/') {
                                return Err(FsError::EscapesRoot);
                            }
                            let t_trailing = t.ends_with('/') || (last && trailing);
                            cur = self.walk(cur, &split(t), true, t_trailing, links)?;
                        }
                        _ => cur = child,
                    }
                }
            }
        }
        if trailing && !self.is_dir(cur) {
            return Err(FsError::NotADirectory);
        }
        Ok(cur)
    }

    fn check_path(path: &str) -> R<()> {
        if path.is_empty() {
            return Err(FsError::NotFound);
        }
        if path.starts_with('/') {
            return Err(FsError::EscapesRoot);
        }
        Ok(())
    }

    fn resolve(&self, path: &str, follow: bool) -> R<usize> {
        Self::check_path(path)?;
        let comps = split(path);
        let trailing = path.ends_with('/');
        self.walk(TOP, &comps, follow, trailing, &mut 0)
    }

    fn parent_from(&self, start: usize, path: &str, links: &mut usize) -> R<(usize, String, bool)> {
        Self::check_path(path)?;
        let comps = split(path);
        let Some((last, init)) = comps.split_last() else {
            return Ok((start, String::new(), true));
        };
        let dir = self.walk(start, init, true, false, links)?;
        if !self.is_dir(dir) {
            return Err(FsError::NotADirectory);
        }
        Ok((dir, last.to_string(), path.ends_with('/')))
    }

    fn parent(&self, path: &str) -> R<(usize, String, bool)> {
        self.parent_from(TOP, path, &mut 0)
    }

    fn locate(&self, path: &str, follow: bool) -> R<Loc> {
        let mut links = 0;
        let (mut dir, mut name, mut trailing) = self.parent_from(TOP, path, &mut links)?;
        loop {
            if special(&name) {
                let n = if name.is_empty() { "." } else { name.as_str() };
                let node = self.walk(dir, &[n], true, false, &mut links)?;
                return Ok(Loc::Existing(node, trailing));
            }
            let Some(&node) = self.entries(dir).get(&name) else {
                return Ok(Loc::Missing(dir, name, trailing));
            };
            match &self.nodes[&node] {
                M::Link(t) if follow || trailing => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(FsError::Loop);
                    }
                    let t = t.clone();
                    let (d, n, tr) = self.parent_from(dir, &t, &mut links)?;
                    (dir, name, trailing) = (d, n, trailing | tr);
                }
                _ => return Ok(Loc::Existing(node, trailing)),
            }
        }
    }

    fn add(&mut self, dir: usize, name: &str, node: M) -> usize {
        let id = self.next;
        self.next += 1;
        let node = match node {
            M::Dir { entries, .. } => M::Dir {
                entries,
                parent: dir,
            },
            other => other,
        };
        self.nodes.insert(id, node);
        self.entries_mut(dir).insert(name.to_string(), id);
        id
    }

    fn new_dir() -> M {
        M::Dir {
            entries: BTreeMap::new(),
            parent: 0,
        }
    }

    /// Drops nodes no entry reaches (the model holds nothing open).
    fn collect(&mut self) {
        let mut live = HashSet::from([TOP]);
        let mut stack = vec![TOP];
        while let Some(n) = stack.pop() {
            if let M::Dir { entries, .. } = &self.nodes[&n] {
                for &c in entries.values() {
                    if live.insert(c) {
                        stack.push(c);
                    }
                }
            }
        }
        self.nodes.retain(|n, _| live.contains(n));
    }

    fn open(&mut self, path: &str, o: OpenOptions) -> R<()> {
        let excl = o.create && o.exclusive;
        match self.locate(path, o.follow && !excl)? {
            Loc::Existing(node, trailing) => {
                if excl {
                    return Err(FsError::AlreadyExists);
                }
                if matches!(self.nodes[&node], M::Link(_)) {
                    return Err(FsError::Loop);
                }
                if (o.directory || trailing) && !self.is_dir(node) {
                    return Err(FsError::NotADirectory);
                }
                if o.truncate {
                    match self.nodes.get_mut(&node).unwrap() {
                        M::File(d) => d.clear(),
                        _ => return Err(FsError::IsADirectory),
                    }
                }
                Ok(())
            }
            Loc::Missing(dir, name, trailing) => {
                if !o.create {
                    return Err(FsError::NotFound);
                }
                if trailing {
                    return Err(FsError::IsADirectory);
                }
                if o.directory {
                    return Err(FsError::InvalidArgument);
                }
                self.add(dir, &name, M::File(Vec::new()));
                Ok(())
            }
        }
    }

    fn mkdir(&mut self, path: &str) -> R<()> {
        let (dir, name, _) = self.parent(path)?;
        if special(&name) || self.entries(dir).contains_key(&name) {
            return Err(FsError::AlreadyExists);
        }
        self.add(dir, &name, Self::new_dir());
        Ok(())
    }

    fn symlink(&mut self, target: &str, path: &str) -> R<()> {
        if target.is_empty() {
            return Err(FsError::NotFound);
        }
        let (dir, name, trailing) = self.parent(path)?;
        if special(&name) || self.entries(dir).contains_key(&name) {
            return Err(FsError::AlreadyExists);
        }
        if trailing {
            return Err(FsError::NotFound);
        }
        self.add(dir, &name, M::Link(target.to_string()));
        Ok(())
    }

    fn link(&mut self, from: &str, follow: bool, to: &str) -> R<()> {
        let src = self.resolve(from, follow)?;
        if self.is_dir(src) {
            return Err(FsError::NotPermitted);
        }
        let (dir, name, trailing) = self.parent(to)?;
        if special(&name) || self.entries(dir).contains_key(&name) {
            return Err(FsError::AlreadyExists);
        }
        if trailing {
            return Err(FsError::NotFound);
        }
        self.entries_mut(dir).insert(name, src);
        Ok(())
    }

    fn unlink(&mut self, path: &str) -> R<()> {
        let (dir, name, trailing) = self.parent(path)?;
        if special(&name) {
            return Err(FsError::IsADirectory);
        }
        let node = *self.entries(dir).get(&name).ok_or(FsError::NotFound)?;
        if self.is_dir(node) {
            return Err(FsError::IsADirectory);
        }
        if trailing {
            return Err(FsError::NotADirectory);
        }
        self.entries_mut(dir).remove(&name);
        self.collect();
        Ok(())
    }

    fn rmdir(&mut self, path: &str) -> R<()> {
        let (dir, name, _) = self.parent(path)?;
        match name.as_str() {
            "" | "." => return Err(FsError::InvalidArgument),
            ".." => return Err(FsError::DirectoryNotEmpty),
            _ => {}
        }
        let node = *self.entries(dir).get(&name).ok_or(FsError::NotFound)?;
        match &self.nodes[&node] {
            M::Dir { entries, .. } if entries.is_empty() => {}
            M::Dir { .. } => return Err(FsError::DirectoryNotEmpty),
            _ => return Err(FsError::NotADirectory),
        }
        self.entries_mut(dir).remove(&name);
        self.collect();
        Ok(())
    }

    fn within(&self, mut dir: usize, ancestor: usize) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            match &self.nodes[&dir] {
                M::Dir { parent, .. } if *parent != usize::MAX => dir = *parent,
                _ => return false,
            }
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> R<()> {
        let (sdir, sname, strail) = self.parent(from)?;
        let (ddir, dname, dtrail) = self.parent(to)?;
        if special(&sname) || special(&dname) {
            return Err(FsError::InvalidArgument);
        }
        let node = *self.entries(sdir).get(&sname).ok_or(FsError::NotFound)?;
        let is_dir = self.is_dir(node);
        if (strail || dtrail) && !is_dir {
            return Err(FsError::NotADirectory);
        }
        if is_dir && self.within(ddir, node) {
            return Err(FsError::InvalidArgument);
        }
        if let Some(&d) = self.entries(ddir).get(&dname) {
            if d == node {
                return Ok(());
            }
            match (is_dir, &self.nodes[&d]) {
                (false, M::Dir { .. }) => return Err(FsError::IsADirectory),
                (true, M::Dir { entries, .. }) if !entries.is_empty() => {
                    return Err(FsError::DirectoryNotEmpty);
                }
                (true, M::Dir { .. }) | (false, _) => {}
                (true, _) => return Err(FsError::NotADirectory),
            }
        }
        self.entries_mut(sdir).remove(&sname);
        self.entries_mut(ddir).insert(dname, node);
        if let M::Dir { parent, .. } = self.nodes.get_mut(&node).unwrap() {
            *parent = ddir;
        }
        self.collect();
        Ok(())
    }

    fn write(&mut self, path: &str, offset: usize, data: &[u8]) -> R<()> {
        let node = self.resolve(path, true)?;
        match self.nodes.get_mut(&node).unwrap() {
            M::File(d) => {
                if !data.is_empty() {
                    if d.len() < offset + data.len() {
                        d.resize(offset + data.len(), 0);
                    }
                    d[offset..offset + data.len()].copy_from_slice(data);
                }
                Ok(())
            }
            M::Dir { .. } => Err(FsError::IsADirectory),
            M::Link(_) => Err(FsError::InvalidArgument),
        }
    }

    /// Every path with what it holds, and the node behind it.
    fn listing(&self) -> Vec<(String, String, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![(String::new(), TOP)];
        while let Some((path, n)) = stack.pop() {
            let what = match &self.nodes[&n] {
                M::File(d) => format!("file {d:?}"),
                M::Link(t) => format!("link {t}"),
                M::Dir { entries, .. } => {
                    for (name, &c) in entries {
                        stack.push((format!("{path}/{name}"), c));
                    }
                    "dir".to_string()
                }
            };
            out.push((path, what, n));
        }
        out.sort();
        out
    }

    fn nlink(&self, node: usize) -> u32 {
        if self.is_dir(node) {
            return 1;
        }
        self.nodes
            .values()
            .filter_map(|m| match m {
                M::Dir { entries, .. } => Some(entries.values().filter(|&&c| c == node).count()),
                _ => None,
            })
            .sum::<usize>() as u32
    }
}

/// The same listing from the crate, through the node API only.
fn listing(fs: &Fs<'_>) -> Vec<(String, String, NodeId)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), fs.root())];
    while let Some((path, n)) = stack.pop() {
        let m = fs.stat(n).unwrap();
        let what = match m.kind {
            Kind::File => format!("file {:?}", fs.contents(n).unwrap()),
            Kind::Symlink => format!("link {}", fs.read_link(n).unwrap()),
            Kind::Dir => {
                for e in fs.dir_entries(n).unwrap() {
                    stack.push((format!("{path}/{}", e.name), e.node));
                }
                "dir".to_string()
            }
        };
        out.push((path, what, n));
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

fn compare(fs: &Fs<'_>, model: &Model, context: &str) {
    let real = listing(fs);
    let expected = model.listing();
    let strip = |v: Vec<(String, String, usize)>| -> Vec<(String, String)> {
        v.into_iter().map(|(p, w, _)| (p, w)).collect()
    };
    let real_plain: Vec<(String, String)> = real
        .iter()
        .map(|(p, w, _)| (p.clone(), w.clone()))
        .collect();
    assert_eq!(real_plain, strip(expected.clone()), "{context}");
    // The same paths share a node in both, and link counts agree.
    let mut map: HashMap<usize, NodeId> = HashMap::new();
    let mut back: HashMap<NodeId, usize> = HashMap::new();
    for ((_, _, id), (_, _, m)) in real.iter().zip(&expected) {
        assert_eq!(
            *map.entry(*m).or_insert(*id),
            *id,
            "{context}: hard links differ"
        );
        assert_eq!(
            *back.entry(*id).or_insert(*m),
            *m,
            "{context}: hard links differ"
        );
        assert_eq!(
            fs.stat(*id).unwrap().nlink,
            model.nlink(*m),
            "{context}: nlink"
        );
    }
}

/// Short paths over a few names, so operations often meet each other's results; now and
/// then `.`, `..`, a trailing slash, an absolute or an empty path.
fn random_path(rng: &mut Rng) -> String {
    const NAMES: [&str; 4] = ["a", "b", "c", "l"];
    const PARTS: [&str; 6] = ["a", "b", "l", "a", ".", ".."];
    match rng.below(40) {
        0 => return String::new(),
        1 => return "/a".to_string(),
        _ => {}
    }
    let n = [1, 1, 1, 2, 2, 3][rng.below(6)];
    let mut p: Vec<&str> = (0..n)
        .map(|i| match i {
            0 if rng.below(6) != 0 => NAMES[rng.below(NAMES.len())],
            _ => PARTS[rng.below(PARTS.len())],
        })
        .collect();
    if rng.below(8) == 0 {
        p.push("");
    }
    p.join("/")
}

#[test]
fn node_api_agrees_with_the_model() {
    let mut rng = Rng::new(0xfeed);
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for round in 0..1000 {
        let mut fs = Fs::new();
        let mut model = Model::new();
        let root = At::dir(fs.root());
        for step in 0..80 {
            let (p, q) = (random_path(&mut rng), random_path(&mut rng));
            let follow = rng.below(3) != 0;
            let (name, real, expected) = match rng.below(10) {
                0 | 1 => {
                    let o = OpenOptions {
                        create: rng.below(2) == 0,
                        exclusive: rng.below(3) == 0,
                        truncate: rng.below(4) == 0,
                        directory: rng.below(4) == 0,
                        follow,
                    };
                    let r = fs.open_at(root, &p, o).map(|_| ());
                    ("open", r, model.open(&p, o))
                }
                2 => ("mkdir", fs.mkdir_at(root, &p).map(|_| ()), model.mkdir(&p)),
                3 => {
                    let r = fs.symlink_at(&q, root, &p).map(|_| ());
                    ("symlink", r, model.symlink(&q, &p))
                }
                4 => {
                    let r = fs.link_at(root, &p, follow, root, &q);
                    ("link", r, model.link(&p, follow, &q))
                }
                5 => ("unlink", fs.unlink_at(root, &p), model.unlink(&p)),
                6 => ("rmdir", fs.rmdir_at(root, &p), model.rmdir(&p)),
                7 => (
                    "rename",
                    fs.rename_at(root, &p, root, &q),
                    model.rename(&p, &q),
                ),
                8 => {
                    let (off, data) = (rng.below(6), [b'0' + rng.below(10) as u8; 2]);
                    let r = fs
                        .lookup_at(root, &p, true)
                        .and_then(|n| fs.write_at(n, off as u64, &data));
                    ("write", r, model.write(&p, off, &data))
                }
                _ => {
                    let r = fs.stat_at(root, &p, follow).map(|_| ());
                    let m = model.resolve(&p, follow).map(|_| ());
                    ("stat", r, m)
                }
            };
            let context = format!("round {round} step {step}: {name} {p:?} {q:?} follow={follow}");
            assert_eq!(real, expected, "{context}");
            let c = counts.entry(name).or_default();
            if real.is_ok() {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
            fs.check_invariants();
            compare(&fs, &model, &context);
        }
    }
    std::println!("model: (ok, err) per operation {counts:?}");
    // Both outcomes happened for every operation, so neither side was checked vacuously.
    for (name, (ok, err)) in counts {
        assert!(ok > 20 && err > 20, "{name}: {ok} ok, {err} errors");
    }
}
