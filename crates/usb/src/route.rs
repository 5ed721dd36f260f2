//! Where a device sits in the tree: its port path and the xHCI route string.
//!
//! A device is reached through a root port of the controller, then through up to five hub
//! tiers. The path `3.1.2` means root port 3, port 1 of the hub there, port 2 of the hub
//! behind that. The xHCI slot context wants the root port separately and the hub ports
//! packed into a 20-bit route string, one nibble per tier, the first tier in the lowest
//! nibble (xHCI 1.2 section 8.9), so hub ports above 15 cannot be addressed.

use core::fmt;

/// Hub tiers below the root port that a route string can describe.
pub const MAX_TIERS: usize = 5;

/// Why a path cannot be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// Hub ports are numbered 1..=15 in route strings.
    BadPort(u8),
    /// More than five hubs deep.
    TooDeep,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadPort(p) => write!(f, "hub port {p} cannot be routed (1..=15)"),
            Self::TooDeep => write!(f, "more than {MAX_TIERS} hub tiers"),
        }
    }
}

/// A device's position: root port plus the hub ports below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortPath {
    root: u8,
    hubs: [u8; MAX_TIERS],
    depth: u8,
}

impl PortPath {
    /// A device on a root port (1-based, as xHCI numbers them).
    pub fn root(port: u8) -> Self {
        Self {
            root: port,
            hubs: [0; MAX_TIERS],
            depth: 0,
        }
    }

    /// The path of a device on `port` of the hub at this path.
    pub fn child(&self, port: u8) -> Result<Self, RouteError> {
        if !(1..=15).contains(&port) {
            return Err(RouteError::BadPort(port));
        }
        let depth = usize::from(self.depth);
        if depth == MAX_TIERS {
            return Err(RouteError::TooDeep);
        }
        let mut next = *self;
        next.hubs[depth] = port;
        next.depth += 1;
        Ok(next)
    }

    pub fn root_port(&self) -> u8 {
        self.root
    }

    /// Hubs between the root port and the device.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// The hub ports, nearest to the root first.
    pub fn hub_ports(&self) -> &[u8] {
        &self.hubs[..self.depth()]
    }

    /// The port on the device's parent (the root port for a device on the root hub).
    pub fn last_port(&self) -> u8 {
        self.hub_ports().last().copied().unwrap_or(self.root)
    }

    /// The path of the hub this device is plugged into, if it is behind a hub.
    pub fn parent(&self) -> Option<Self> {
        if self.depth == 0 {
            return None;
        }
        let mut p = *self;
        p.depth -= 1;
        p.hubs[p.depth()] = 0;
        Some(p)
    }

    /// True if `other` is this path or lies below it (to find devices behind a removed hub).
    pub fn contains(&self, other: &Self) -> bool {
        self.root == other.root
            && other.depth >= self.depth
            && other.hub_ports()[..self.depth()] == *self.hub_ports()
    }

    /// The xHCI route string (20 bits).
    pub fn route_string(&self) -> u32 {
        self.hub_ports()
            .iter()
            .enumerate()
            .fold(0, |acc, (tier, &port)| acc | u32::from(port) << (4 * tier))
    }
}

impl fmt::Display for PortPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)?;
        for p in self.hub_ports() {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn paths_and_route_strings() {
        let root = PortPath::root(3);
        assert_eq!(root.route_string(), 0);
        assert_eq!(format!("{root}"), "3");
        assert_eq!(root.parent(), None);
        assert_eq!(root.last_port(), 3);
        let one = root.child(1).unwrap();
        let two = one.child(12).unwrap();
        assert_eq!(format!("{two}"), "3.1.12");
        assert_eq!(two.route_string(), 0xc1);
        assert_eq!(two.root_port(), 3);
        assert_eq!(two.depth(), 2);
        assert_eq!(two.last_port(), 12);
        assert_eq!(two.parent(), Some(one));
        assert_eq!(one.parent(), Some(root));
        assert!(root.contains(&two) && one.contains(&two) && two.contains(&two));
        assert!(!two.contains(&one));
        assert!(!PortPath::root(4).contains(&two));
        assert!(!root.child(2).unwrap().contains(&two));
    }

    #[test]
    fn limits() {
        let mut p = PortPath::root(1);
        for tier in 0..MAX_TIERS {
            p = p.child(15 - tier as u8).unwrap();
        }
        assert_eq!(p.route_string(), 0xbcdef);
        assert_eq!(p.child(1), Err(RouteError::TooDeep));
        assert_eq!(PortPath::root(1).child(0), Err(RouteError::BadPort(0)));
        assert_eq!(PortPath::root(1).child(16), Err(RouteError::BadPort(16)));
    }
}
