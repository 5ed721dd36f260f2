//! The tree's invariants, checked after operations in every test: structure, sorted
//! entries, parent pointers, depth and path limits, link counts, inode numbers, the free
//! list and the space total.

extern crate std;

use crate::node::{Body, Data, Fs, NIL, Node, ROOT, Slot};
use crate::quota::{entry_cost, node_cost};

impl Fs<'_> {
    /// Whether the file at `path` is still a borrowed slice of the archive.
    pub(crate) fn is_borrowed(&self, path: &str) -> bool {
        let Ok(i) = Self::parse(path).and_then(|c| self.lookup(c.as_slice())) else {
            return false;
        };
        matches!(
            self.node(i),
            Ok(Node {
                body: Body::File(Data::Borrowed(_)),
                ..
            })
        )
    }

    /// Panics (test only) if the tree's invariants do not hold.
    pub(crate) fn check_invariants(&self) {
        use crate::path::{MAX_DEPTH, MAX_PATH_LEN, check_name};
        use std::collections::HashSet;
        if self.slots.is_empty() {
            return; // the root could not be allocated; every operation reports errors
        }
        use std::collections::HashMap;
        let mut seen = HashSet::new();
        let mut names: HashMap<usize, u32> = HashMap::new();
        let mut stack = alloc::vec![(ROOT, 0usize, 0usize)];
        assert!(matches!(self.dir(ROOT), Ok(d) if d.parent == NIL));
        let mut inos = HashSet::new();
        while let Some((i, depth, len)) = stack.pop() {
            let first = seen.insert(i);
            assert!(first || !self.is_dir(i), "directory {i} reachable twice");
            if !first {
                continue;
            }
            assert!(depth <= MAX_DEPTH, "too deep");
            assert!(len <= MAX_PATH_LEN, "path too long");
            let n = self.node(i).expect("reachable node is used");
            if let Body::Dir(d) = &n.body {
                for w in d.entries.windows(2) {
                    assert!(w[0].name < w[1].name, "entries unsorted");
                }
                for e in &d.entries {
                    check_name(&e.name).expect("valid name");
                    *names.entry(e.node).or_default() += 1;
                    if let Ok(cd) = self.dir(e.node) {
                        assert_eq!(cd.parent, i, "bad parent pointer");
                        assert_eq!(cd.name_len, e.name.len(), "bad name length");
                    }
                    stack.push((e.node, depth + 1, len + 1 + e.name.len()));
                }
            }
        }
        let mut free = 0;
        let mut f = self.free;
        while f != NIL {
            assert!(matches!(self.slots[f], Slot::Free(_)));
            free += 1;
            assert!(free <= self.slots.len(), "free list cycle");
            let Slot::Free(next) = self.slots[f] else {
                unreachable!()
            };
            f = next;
        }
        // Unnamed nodes are held open; every used slot is named or held.
        let held = self
            .slots
            .iter()
            .enumerate()
            .filter(|(i, s)| matches!(s, Slot::Used(n) if !seen.contains(i) && n.opens > 0))
            .count();
        assert_eq!(seen.len() + held + free, self.slots.len(), "leaked slots");
        for (i, slot) in self.slots.iter().enumerate() {
            let Slot::Used(n) = slot else { continue };
            assert!(inos.insert(n.ino), "inode number {} twice", n.ino);
            assert!(n.ino < self.next_ino);
            let expected = if i == ROOT {
                1
            } else {
                names.get(&i).copied().unwrap_or(0)
            };
            assert_eq!(n.nlink, expected, "link count of node {i}");
            if let Body::Dir(d) = &n.body
                && n.nlink == 0
            {
                assert!(d.entries.is_empty() && d.parent == NIL, "removed dir {i}");
            }
            if let Body::Symlink(t) = &n.body {
                assert!(t.as_str().len() <= MAX_PATH_LEN && !t.as_str().contains('\0'));
            }
        }
        let mut usage = 0;
        for slot in &self.slots {
            if let Slot::Used(n) = slot {
                usage += node_cost(n);
                if let Body::Dir(d) = &n.body {
                    usage += d.entries.iter().map(|e| entry_cost(&e.name)).sum::<usize>();
                }
            }
        }
        assert_eq!(self.used, usage, "usage total drifted");
    }
}
