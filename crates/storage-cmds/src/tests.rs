use crate::ata;
use crate::nvme;
use crate::{Error, check_request, chunks};
use wasm_abi::Rng;

// ---- ATA IDENTIFY ----

/// IDENTIFY data of a plain LBA48 disk of `sectors` 512-byte sectors named "QEMU HARDDISK".
fn ata_identify(sectors: u64) -> [u8; 512] {
    let mut d = [0u8; 512];
    let mut put = |i: usize, v: u16| d[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
    put(49, 1 << 9);
    put(83, 0x4000 | 1 << 10);
    put(86, 1 << 10);
    let s28 = sectors.min(0x0fff_ffff);
    put(60, s28 as u16);
    put(61, (s28 >> 16) as u16);
    for i in 0..4 {
        put(100 + i, (sectors >> (16 * i)) as u16);
    }
    let model = b"QEMU HARDDISK                           ";
    for (i, pair) in model.chunks(2).enumerate() {
        put(27 + i, u16::from(pair[0]) << 8 | u16::from(pair[1]));
    }
    d
}

fn set_word(d: &mut [u8], i: usize, v: u16) {
    d[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
}

/// IDENTIFY PACKET DEVICE data of QEMU's CD drive: ATAPI, CD/DVD, 12-byte packets.
fn atapi_identify() -> [u8; 512] {
    let mut d = [0u8; 512];
    set_word(&mut d, 0, 0x8000 | 5 << 8 | 1 << 7);
    let model = b"QEMU DVD-ROM                            ";
    for (i, pair) in model.chunks(2).enumerate() {
        set_word(&mut d, 27 + i, u16::from(pair[0]) << 8 | u16::from(pair[1]));
    }
    d
}

#[test]
fn identify_packet_device() {
    let id = ata::parse_identify_packet(&atapi_identify()).unwrap();
    assert_eq!(id.device_type, ata::DEVICE_TYPE_CD);
    assert_eq!(id.packet_len, 12);
    assert_eq!(id.model(), "QEMU DVD-ROM");
    let mut d = atapi_identify();
    set_word(&mut d, 0, 0x8000 | 5 << 8 | 1);
    assert_eq!(ata::parse_identify_packet(&d).unwrap().packet_len, 16);
    set_word(&mut d, 0, 0x8000 | 5 << 8 | 2);
    assert_eq!(ata::parse_identify_packet(&d), Err(Error::Unsupported));
    // A disk's IDENTIFY data, a short page, all ones.
    assert!(ata::parse_identify_packet(&ata_identify(100)).is_err());
    assert!(ata::parse_identify_packet(&atapi_identify()[..511]).is_err());
    assert!(ata::parse_identify_packet(&[0xff; 512]).is_err());
    // And the disk parser refuses the CD drive's page.
    assert!(ata::parse_identify(&atapi_identify()).is_err());
}

#[test]
fn packet_command_layout() {
    let f = ata::packet_fis(true, 0xfffe);
    assert_eq!((f[0], f[1], f[2], f[3]), (0x27, 0x80, ata::PACKET, 1));
    assert_eq!((f[5], f[6]), (0xfe, 0xff));
    assert_eq!(ata::packet_fis(false, 0)[3], 0, "no data: no DMA");
    let h = ata::packet_header(1, 0x1234_5000);
    assert_eq!(h[0], 5 | 1 << 5 | 1 << 16, "CFL 5, ATAPI, read, one PRD");
    assert_eq!(h[2], 0x1234_5000);
    let read = crate::scsi::Command::read_write(false, 16, 1, 2048).unwrap();
    let a = ata::acmd(read.bytes(), 12).unwrap();
    assert_eq!(a, [0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    // A 16-byte block does not fit a device with 12-byte packets; empty is refused.
    let far = crate::scsi::Command::read_write(false, 1 << 32, 1, 2048).unwrap();
    assert!(ata::acmd(far.bytes(), 12).is_err());
    assert!(ata::acmd(far.bytes(), 16).is_ok());
    assert!(ata::acmd(&[], 12).is_err());
    assert!(ata::acmd(&[0; 17], 16).is_err());
    // Error register 0x24 (sense key 2, not ready; ABRT) in PxTFD bits 15:8, status 0x51.
    assert_eq!(ata::sense_key_of_tfd(0x2451), 2);
}

#[test]
fn identify_packet_random_data_never_panics() {
    let mut rng = Rng::new(0xa7a9);
    let mut accepted = 0;
    for round in 0..20_000u32 {
        let mut d = atapi_identify();
        if round % 3 == 0 {
            for b in d.iter_mut() {
                *b = rng.next_u32() as u8;
            }
        } else {
            for _ in 0..(rng.next_u32() % 8) {
                let i = (rng.next_u32() as usize) % d.len();
                d[i] = rng.next_u32() as u8;
            }
        }
        let len = if round % 7 == 0 {
            (rng.next_u32() as usize) % 513
        } else {
            512
        };
        if let Ok(id) = ata::parse_identify_packet(&d[..len]) {
            assert!(matches!(id.packet_len, 12 | 16));
            assert!(id.device_type < 32 && id.model_len <= 40);
            assert!(id.model().bytes().all(|c| (b' '..=b'~').contains(&c)));
            accepted += 1;
        }
    }
    assert!(accepted > 1000, "{accepted}");
}

#[test]
fn identify_plain_disk() {
    let id = ata::parse_identify(&ata_identify(131072)).unwrap();
    assert_eq!(id.sectors, 131072);
    assert_eq!(id.sector_size, 512);
    assert!(id.lba48);
    assert_eq!(id.model(), "QEMU HARDDISK");
}

#[test]
fn identify_lba28_only() {
    let mut d = ata_identify(5000);
    set_word(&mut d, 83, 0x4000);
    let id = ata::parse_identify(&d).unwrap();
    assert!(!id.lba48);
    assert_eq!(id.sectors, 5000);
}

#[test]
fn identify_4k_logical_sectors() {
    let mut d = ata_identify(1000);
    set_word(&mut d, 106, 0x4000 | 1 << 12);
    set_word(&mut d, 117, 2048); // words
    let id = ata::parse_identify(&d).unwrap();
    assert_eq!(id.sector_size, 4096);
}

#[test]
fn identify_hostile_sector_sizes() {
    for (lo, hi) in [
        (0u16, 0u16),
        (1, 0),
        (0, 0x8000),
        (300, 0),
        (0, 1),
        (0xffff, 0xffff),
    ] {
        let mut d = ata_identify(1000);
        set_word(&mut d, 106, 0x4000 | 1 << 12);
        set_word(&mut d, 117, lo);
        set_word(&mut d, 118, hi);
        assert!(
            matches!(ata::parse_identify(&d), Err(Error::SectorSize(_))),
            "{lo} {hi}"
        );
    }
}

#[test]
fn identify_refuses_atapi_empty_short_and_overflowing() {
    let mut d = ata_identify(1000);
    set_word(&mut d, 0, 0x85c0);
    assert_eq!(ata::parse_identify(&d), Err(Error::Malformed));
    assert_eq!(ata::parse_identify(&ata_identify(0)), Err(Error::Empty));
    assert_eq!(ata::parse_identify(&[0u8; 100]), Err(Error::Malformed));
    let mut d = ata_identify(1000);
    set_word(&mut d, 49, 0);
    assert_eq!(ata::parse_identify(&d), Err(Error::Unsupported));
    // 2^48 sectors of 64 KiB do not fit in 64 bits of bytes.
    let mut d = ata_identify(u64::MAX);
    set_word(&mut d, 106, 0x4000 | 1 << 12);
    set_word(&mut d, 117, 32768);
    assert_eq!(ata::parse_identify(&d), Err(Error::TooBig));
    // LBA48 counts are capped at what 48 bits address.
    let id = ata::parse_identify(&ata_identify(u64::MAX)).unwrap();
    assert_eq!(id.sectors, 1 << 48);
}

#[test]
fn identify_random_data_never_panics() {
    let mut rng = Rng::new(14);
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut d = [0u8; 512];
        if round % 2 == 0 {
            d = ata_identify(rng.next_u64() >> (rng.next_u32() % 64));
            // Flip a handful of words, favouring the ones the parser reads.
            for _ in 0..4 {
                let w = match rng.next_u32() % 4 {
                    0 => [0, 49, 83, 106][rng.next_u32() as usize % 4],
                    1 => 100 + rng.next_u32() as usize % 4,
                    2 => 117 + rng.next_u32() as usize % 2,
                    _ => rng.next_u32() as usize % 256,
                };
                set_word(&mut d, w, rng.next_u32() as u16);
            }
        } else {
            for b in d.iter_mut() {
                *b = rng.next_u32() as u8;
            }
        }
        if let Ok(id) = ata::parse_identify(&d) {
            accepted += 1;
            assert!(id.sector_size.is_power_of_two());
            assert!((512..=65536).contains(&id.sector_size));
            assert!(id.sectors > 0);
            assert!(id.sectors.checked_mul(u64::from(id.sector_size)).is_some());
            assert!(id.model_len <= 40);
            assert!(id.model().is_ascii());
        }
    }
    assert!(
        accepted > 1000,
        "the generator should produce valid data too: {accepted}"
    );
}

// ---- ATA commands ----

#[test]
fn read_ext_fis_layout() {
    let f = ata::rw_fis(false, 0x0123_4567_89ab, 8, true).unwrap();
    assert_eq!(
        f[..16],
        [
            0x27, 0x80, 0x25, 0, 0xab, 0x89, 0x67, 0x40, 0x45, 0x23, 0x01, 0, 8, 0, 0, 0
        ]
    );
    // 65536 sectors are sent as a count of 0.
    let f = ata::rw_fis(true, 0, 65536, true).unwrap();
    assert_eq!((f[2], f[12], f[13]), (ata::WRITE_DMA_EXT, 0, 0));
    assert_eq!(ata::rw_fis(false, 0, 0, true), Err(Error::OutOfRange));
    assert_eq!(ata::rw_fis(false, 0, 65537, true), Err(Error::OutOfRange));
    assert_eq!(
        ata::rw_fis(false, (1 << 48) - 1, 2, true),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        ata::rw_fis(false, u64::MAX, 1, true),
        Err(Error::OutOfRange)
    );
}

#[test]
fn lba28_fis_layout() {
    let f = ata::rw_fis(true, 0x0abc_def1, 256, false).unwrap();
    assert_eq!(f[2], ata::WRITE_DMA);
    assert_eq!((f[4], f[5], f[6], f[7]), (0xf1, 0xde, 0xbc, 0x4a));
    assert_eq!((f[8], f[12], f[13]), (0, 0, 0));
    assert_eq!(ata::rw_fis(true, 1 << 28, 1, false), Err(Error::OutOfRange));
    assert_eq!(ata::rw_fis(true, 0, 257, false), Err(Error::OutOfRange));
    assert_eq!(ata::flush_fis(false)[2], ata::FLUSH_CACHE);
    assert_eq!(ata::flush_fis(true)[2], ata::FLUSH_CACHE_EXT);
}

#[test]
fn command_header_and_prd() {
    let h = ata::command_header(true, 1, 0x1_2345_6780);
    assert_eq!(h, [5 | 1 << 6 | 1 << 16, 0, 0x2345_6780, 1]);
    assert_eq!(ata::command_header(false, 0, 0)[0], 5);
    assert_eq!(
        ata::prd(0x10_0000, 65536).unwrap(),
        [0x10_0000, 0, 0, 65535]
    );
    assert_eq!(ata::prd(0, 0), Err(Error::OutOfRange));
    assert_eq!(ata::prd(0, 3), Err(Error::OutOfRange));
    assert_eq!(ata::prd(1, 2), Err(Error::OutOfRange));
    assert_eq!(ata::prd(0, (4 << 20) + 2), Err(Error::OutOfRange));
    assert!(ata::prd(0, 4 << 20).is_ok());
}

// ---- requests and chunks ----

#[test]
fn requests_are_checked() {
    assert_eq!(check_request(0, 4096, 512, 8), Ok(8));
    assert_eq!(check_request(1, 4096, 512, 8), Err(Error::OutOfRange));
    assert_eq!(check_request(0, 513, 512, 8), Err(Error::OutOfRange));
    assert_eq!(
        check_request(u64::MAX, 512, 512, u64::MAX),
        Err(Error::OutOfRange)
    );
    assert_eq!(check_request(0, 0, 512, 0), Ok(0));
    assert_eq!(check_request(0, 512, 0, 8), Err(Error::OutOfRange));
}

#[test]
fn chunks_cover_the_request_exactly() {
    let mut rng = Rng::new(7);
    for _ in 0..2000 {
        let lba = rng.next_u64() >> 20;
        let n = u64::from(rng.next_u32() % 5000);
        let max = rng.next_u32() % 300; // 0 included
        let ss = 512u32 << (rng.next_u32() % 4);
        let (mut next_lba, mut offset, mut total) = (lba, 0usize, 0u64);
        for c in chunks(lba, n, ss, max) {
            assert_eq!(c.lba, next_lba);
            assert_eq!(c.offset, offset);
            assert!(c.sectors >= 1 && c.sectors <= max.max(1));
            next_lba += u64::from(c.sectors);
            offset += c.sectors as usize * ss as usize;
            total += u64::from(c.sectors);
        }
        assert_eq!(total, n);
    }
}

// ---- NVMe ----

fn namespace(sectors: u64, lbads: u8, metadata: u16) -> [u8; 4096] {
    let mut d = [0u8; 4096];
    d[0..8].copy_from_slice(&sectors.to_le_bytes());
    d[25] = 1; // two formats
    d[26] = 1; // the second in use
    d[132..134].copy_from_slice(&metadata.to_le_bytes());
    d[134] = lbads;
    d
}

#[test]
fn namespace_parsing() {
    let ns = nvme::parse_namespace(&namespace(1 << 20, 9, 0)).unwrap();
    assert_eq!((ns.sectors, ns.sector_size), (1 << 20, 512));
    let ns = nvme::parse_namespace(&namespace(100, 12, 0)).unwrap();
    assert_eq!(ns.sector_size, 4096);
    assert_eq!(
        nvme::parse_namespace(&namespace(0, 9, 0)),
        Err(Error::Empty)
    );
    assert_eq!(
        nvme::parse_namespace(&namespace(8, 9, 8)),
        Err(Error::Unsupported)
    );
    for lbads in [0u8, 8, 17, 40, 63, 64, 255] {
        assert!(
            matches!(
                nvme::parse_namespace(&namespace(8, lbads, 0)),
                Err(Error::SectorSize(_))
            ),
            "{lbads}"
        );
    }
    assert_eq!(
        nvme::parse_namespace(&namespace(u64::MAX, 12, 0)),
        Err(Error::TooBig)
    );
    let mut d = namespace(8, 9, 0);
    d[26] = 5; // index past NLBAF
    assert_eq!(nvme::parse_namespace(&d), Err(Error::Malformed));
    assert_eq!(nvme::parse_namespace(&d[..100]), Err(Error::Malformed));
}

#[test]
fn namespace_random_data_never_panics() {
    let mut rng = Rng::new(99);
    let mut accepted = 0;
    for round in 0..5000 {
        let mut d = namespace(
            rng.next_u64() >> (rng.next_u32() % 64),
            9 + (round % 5) as u8,
            0,
        );
        for _ in 0..3 {
            let at = match rng.next_u32() % 3 {
                0 => rng.next_u32() as usize % 32,
                1 => 128 + rng.next_u32() as usize % 256,
                _ => rng.next_u32() as usize % 4096,
            };
            d[at] = rng.next_u32() as u8;
        }
        if round % 7 == 0 {
            for b in d.iter_mut() {
                *b = rng.next_u32() as u8;
            }
        }
        if let Ok(ns) = nvme::parse_namespace(&d) {
            accepted += 1;
            assert!(ns.sector_size.is_power_of_two() && (512..=65536).contains(&ns.sector_size));
            assert!(ns.sectors > 0 && ns.sectors.checked_mul(u64::from(ns.sector_size)).is_some());
        }
        let _ = nvme::parse_controller(&d);
        let _ = nvme::first_namespace(&d);
    }
    assert!(accepted > 500, "{accepted}");
}

#[test]
fn controller_and_namespace_list() {
    let mut d = [0u8; 4096];
    d[24..38].copy_from_slice(b"QEMU NVMe Ctrl");
    d[77] = 7;
    d[525] = 1;
    let c = nvme::parse_controller(&d).unwrap();
    assert_eq!(
        (c.mdts, c.write_cache, c.model()),
        (7, true, "QEMU NVMe Ctrl")
    );
    let mut l = [0u8; 4096];
    assert_eq!(nvme::first_namespace(&l), None);
    l[4..8].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(nvme::first_namespace(&l), Some(3));
}

#[test]
fn cap_doorbells_and_transfer_limits() {
    // MQES 2047, CQR, TO 15 (7.5 s), DSTRD 0, CSS NVM, MPSMIN 0, MPSMAX 4.
    let cap = 0x0040_0020_0f01_07ffu64;
    let c = nvme::Cap::parse(cap);
    assert_eq!(c.max_queue_entries, 2048);
    assert_eq!(c.timeout_ms, 7500);
    assert_eq!((c.dstrd, c.page_min_shift, c.page_max_shift), (0, 12, 16));
    assert!(c.nvm && c.supports_4k_pages());
    assert!(!nvme::Cap::parse(cap | 1 << 48).supports_4k_pages());
    assert_eq!(nvme::doorbell(0, false, 0), 0x1000);
    assert_eq!(nvme::doorbell(0, true, 0), 0x1004);
    assert_eq!(nvme::doorbell(1, false, 0), 0x1008);
    assert_eq!(nvme::doorbell(1, true, 2), 0x1000 + 3 * 16);
    assert_eq!(nvme::max_transfer(0, 12), None);
    assert_eq!(nvme::max_transfer(5, 12), Some(128 * 1024));
    assert_eq!(nvme::max_transfer(255, 27), None);
}

#[test]
fn prp_lists() {
    let mut list = [0u64; 512];
    let p = nvme::prps(0x10_0000, 4096, 0x9000, &mut list).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x10_0000, 0));
    let p = nvme::prps(0x10_0000, 8192, 0x9000, &mut list).unwrap();
    assert_eq!(p.prp2, 0x10_1000);
    // An offset into the first page makes 4 KiB span two pages.
    let p = nvme::prps(0x10_0200, 4096, 0x9000, &mut list).unwrap();
    assert_eq!(p.prp2, 0x10_1000);
    let p = nvme::prps(0x10_0000, 32 * 4096, 0x9000, &mut list).unwrap();
    assert_eq!(p.prp2, 0x9000);
    for (i, e) in list[..31].iter().enumerate() {
        assert_eq!(*e, 0x10_0000 + (i as u64 + 1) * 4096);
    }
    assert_eq!(list[31], 0);
    assert_eq!(nvme::prps(0, 0, 0x9000, &mut list), Err(Error::OutOfRange));
    assert_eq!(
        nvme::prps(2, 512, 0x9000, &mut list),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        nvme::prps(0, 3 * 4096, 0x9004, &mut list),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        nvme::prps(0, 3 * 4096, 0x9000, &mut list[..1]),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        nvme::prps(0, 514 * 4096, 0x9000, &mut list),
        Err(Error::OutOfRange)
    );
    assert!(nvme::prps(0, 513 * 4096, 0x9000, &mut list).is_ok());
    assert_eq!(
        nvme::prps(u64::MAX - 3, 8, 0x9000, &mut list),
        Err(Error::OutOfRange)
    );
}

#[test]
fn commands_and_completions() {
    let p = nvme::Prps {
        prp1: 0x1_0000_2000,
        prp2: 0x3000,
    };
    let c = nvme::read_write(true, 9, 1, 0x1_0000_0005, 16, p).unwrap();
    assert_eq!(c[0], 0x01 | 9 << 16);
    assert_eq!((c[1], c[6], c[7], c[8], c[9]), (1, 0x2000, 1, 0x3000, 0));
    assert_eq!((c[10], c[11], c[12]), (5, 1, 15));
    assert!(nvme::read_write(false, 0, 1, 0, 0, p).is_err());
    assert!(nvme::read_write(false, 0, 1, 0, 65537, p).is_err());
    let c = nvme::create_io_sq(2, 1, 32, 1, 0x5000);
    assert_eq!(
        (c[0], c[6], c[10], c[11]),
        (0x01 | 2 << 16, 0x5000, 31 << 16 | 1, 1 << 16 | 1)
    );
    let c = nvme::create_io_cq(3, 1, 32, 0x6000);
    assert_eq!((c[0], c[10], c[11]), (0x05 | 3 << 16, 31 << 16 | 1, 1));
    assert_eq!(nvme::identify(4, 1, 0, 0x7000)[10], 1);
    let done = nvme::Completion::parse([0, 0, 5 | 1 << 16, 9 | 1 << 16]);
    assert_eq!(
        (done.cid, done.phase, done.sq_head, done.sq_id),
        (9, true, 5, 1)
    );
    assert!(done.ok());
    let failed = nvme::Completion::parse([0, 0, 0, 9 | 0x80 << 17]);
    assert!(!failed.phase && !failed.ok());
}
