//! TRB rings in DMA pages: the producer rings we fill (commands, transfers) and the event
//! ring the controller fills.
//!
//! Ownership of each 16-byte TRB is passed by its cycle bit (xHCI 1.2 section 4.9): a
//! producer writes the first three words, then the fourth with the cycle bit, so the
//! consumer never sees half a TRB. The last slot of a producer ring is a Link TRB back to
//! the start that toggles the cycle. The TRB layouts themselves come from the `xhci` crate.

use super::dma::DmaPage;
use core::sync::atomic::{Ordering, fence};
use usb::request::SetupPacket;
use xhci::ring::trb::{Link, transfer};

/// TRBs per ring page.
pub const TRBS: usize = DmaPage::SIZE / 16;

/// A ring the driver produces into (command ring or a transfer ring).
pub struct Ring {
    page: DmaPage,
    enqueue: usize,
    cycle: bool,
}

impl Ring {
    pub fn new(above_4g: bool) -> Option<Self> {
        let page = DmaPage::new(above_4g)?;
        let mut link = Link::new();
        link.set_ring_segment_pointer(page.phys())
            .set_toggle_cycle();
        let ring = Self {
            page,
            enqueue: 0,
            cycle: true,
        };
        // The link starts with cycle 0: not yet the controller's.
        ring.write_trb(TRBS - 1, link.into_raw());
        Some(ring)
    }

    pub fn phys(&self) -> u64 {
        self.page.phys()
    }

    /// The current enqueue pointer with the cycle state in bit 0 (for contexts and Set
    /// TR Dequeue Pointer).
    pub fn dequeue_state(&self) -> u64 {
        (self.page.phys() + 16 * self.enqueue as u64) | u64::from(self.cycle)
    }

    /// Free TRB slots before the link (a multi-TRB TD must not straddle it: see `reserve`).
    fn room(&self) -> usize {
        TRBS - 1 - self.enqueue
    }

    fn write_trb(&self, index: usize, raw: [u32; 4]) {
        let off = index * 16;
        self.page.write32(off, raw[0]);
        self.page.write32(off + 4, raw[1]);
        self.page.write32(off + 8, raw[2]);
        // The first three words must be visible before the cycle bit hands the TRB over.
        fence(Ordering::Release);
        self.page.write32(off + 12, raw[3]);
    }

    /// Makes sure `n` TRBs fit before the end of the ring, so that a TD's TRBs never
    /// straddle the wrap: if they would not fit, an extra Link TRB here sends the
    /// controller back to the start now.
    ///
    /// The slots skipped are stamped with this lap's cycle bit: they may still hold TRBs
    /// of the lap before, whose cycle bit is the next lap's, and the controller would run
    /// such a stale TRB as new when the next lap's TDs reach that far.
    pub fn reserve(&mut self, n: usize) {
        if self.room() >= n || self.enqueue == 0 {
            return;
        }
        for i in self.enqueue + 1..TRBS - 1 {
            self.write_trb(i, [0, 0, 0, u32::from(self.cycle)]);
        }
        let mut link = Link::new();
        link.set_ring_segment_pointer(self.page.phys())
            .set_toggle_cycle();
        let mut raw = link.into_raw();
        raw[3] = (raw[3] & !1) | u32::from(self.cycle);
        self.write_trb(self.enqueue, raw);
        self.cycle = !self.cycle;
        self.enqueue = 0;
    }

    /// Queues a control transfer on an endpoint-0 ring: its setup stage (with `len` as
    /// the length), a data stage to or from `data_phys` when `len` is not 0, and the
    /// status stage, which goes the other way from the data (IN when there is none) and
    /// interrupts on completion. Call `reserve(3)` first. Returns the TRB addresses:
    /// setup, data (0 when there is none), status.
    pub fn push_control(&mut self, setup: &SetupPacket, len: usize, data_phys: u64) -> [u64; 3] {
        let mut s = transfer::SetupStage::new();
        s.set_request_type(setup.request_type)
            .set_request(setup.request)
            .set_value(setup.value)
            .set_index(setup.index)
            .set_length(len as u16)
            .set_transfer_type(match (len, setup.is_in()) {
                (0, _) => transfer::TransferType::No,
                (_, true) => transfer::TransferType::In,
                (_, false) => transfer::TransferType::Out,
            });
        let setup_trb = self.push(s.into_raw());
        let mut data_trb = 0;
        if len > 0 {
            let mut d = transfer::DataStage::new();
            d.set_data_buffer_pointer(data_phys)
                .set_trb_transfer_length(len as u32)
                .set_direction(if setup.is_in() {
                    transfer::Direction::In
                } else {
                    transfer::Direction::Out
                })
                .set_interrupt_on_short_packet();
            data_trb = self.push(d.into_raw());
        }
        let mut st = transfer::StatusStage::new();
        if len == 0 || !setup.is_in() {
            st.set_direction();
        }
        st.set_interrupt_on_completion();
        [setup_trb, data_trb, self.push(st.into_raw())]
    }

    /// Queues a TRB (its cycle bit is set here); returns its physical address, which the
    /// controller's event for it will name.
    pub fn push(&mut self, mut raw: [u32; 4]) -> u64 {
        raw[3] = (raw[3] & !1) | u32::from(self.cycle);
        let addr = self.page.phys() + 16 * self.enqueue as u64;
        self.write_trb(self.enqueue, raw);
        self.enqueue += 1;
        if self.enqueue == TRBS - 1 {
            // Hand the link over with the current cycle, then continue on the other one.
            let off = (TRBS - 1) * 16 + 12;
            let link = self.page.read32(off);
            fence(Ordering::Release);
            self.page.write32(off, (link & !1) | u32::from(self.cycle));
            self.cycle = !self.cycle;
            self.enqueue = 0;
        }
        addr
    }
}

/// The event ring: one segment, and the one-entry segment table that describes it.
pub struct EventRing {
    segment: DmaPage,
    table: DmaPage,
    dequeue: usize,
    cycle: bool,
}

impl EventRing {
    pub fn new(above_4g: bool) -> Option<Self> {
        let segment = DmaPage::new(above_4g)?;
        let table = DmaPage::new(above_4g)?;
        table.write64(0, segment.phys());
        table.write32(8, TRBS as u32);
        Some(Self {
            segment,
            table,
            dequeue: 0,
            cycle: true,
        })
    }

    /// Physical address of the segment table (ERSTBA).
    pub fn table_phys(&self) -> u64 {
        self.table.phys()
    }

    /// The dequeue pointer to report to the controller (ERDP).
    pub fn dequeue_pointer(&self) -> u64 {
        self.segment.phys() + 16 * self.dequeue as u64
    }

    /// The next event, if the controller has written one.
    pub fn pop(&mut self) -> Option<[u32; 4]> {
        let off = self.dequeue * 16;
        let control = self.segment.read32(off + 12);
        if control & 1 != u32::from(self.cycle) {
            return None;
        }
        // The rest of the TRB was written before its cycle bit.
        fence(Ordering::Acquire);
        let trb = [
            self.segment.read32(off),
            self.segment.read32(off + 4),
            self.segment.read32(off + 8),
            control,
        ];
        self.dequeue += 1;
        if self.dequeue == TRBS {
            self.dequeue = 0;
            self.cycle = !self.cycle;
        }
        Some(trb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn producer_ring_wraps_through_its_link() {
        let mut r = Ring::new(true).expect("a page for the ring");
        let base = r.phys();
        for i in 0..TRBS - 1 {
            assert_eq!(r.push([0, 0, 0, 0]), base + 16 * i as u64);
        }
        // Every TRB of the first lap carries cycle 1, and so does the link handed over.
        assert_eq!(r.page.read32(12) & 1, 1);
        assert_eq!(r.page.read32((TRBS - 1) * 16 + 12) & 1, 1);
        // The second lap starts at the base with cycle 0.
        assert_eq!(r.dequeue_state(), base);
        assert_eq!(r.push([0, 0, 0, 0]), base);
        assert_eq!(r.page.read32(12) & 1, 0);
    }

    #[test_case]
    fn reserve_wraps_early_instead_of_splitting() {
        let mut r = Ring::new(true).expect("a page for the ring");
        let base = r.phys();
        for _ in 0..TRBS - 3 {
            r.push([0, 0, 0, 0]);
        }
        // Two slots left before the link: three TRBs go to the start, behind a new link.
        r.reserve(3);
        let link = r.page.read32((TRBS - 3) * 16 + 12);
        assert_eq!((link >> 10) & 0x3f, 6, "a Link TRB");
        assert_eq!(link & 1, 1, "handed to the controller");
        assert_eq!(link & 2, 2, "toggles the cycle");
        // The skipped slot is stamped with this lap's cycle (1): the next lap (0) stops there.
        assert_eq!(r.page.read32((TRBS - 2) * 16 + 12) & 1, 1);
        assert_eq!(r.push([0, 0, 0, 0]), base);
        // With room, reserve changes nothing.
        let before = r.dequeue_state();
        r.reserve(3);
        assert_eq!(r.dequeue_state(), before);
    }

    #[test_case]
    fn event_ring_takes_only_what_the_controller_wrote() {
        let mut e = EventRing::new(true).expect("pages for the event ring");
        assert!(e.pop().is_none());
        // A command completion event with cycle 1, as the controller would write it.
        e.segment.write32(12, 1 | 33 << 10);
        let ev = e.pop().expect("the event");
        assert_eq!((ev[3] >> 10) & 0x3f, 33);
        assert!(e.pop().is_none());
        assert_eq!(e.dequeue_pointer(), e.segment.phys() + 16);
        assert_eq!(e.table.read32(8), TRBS as u32);
    }
}
