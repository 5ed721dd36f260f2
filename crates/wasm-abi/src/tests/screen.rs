//! Clipping, colours and the placement of `present`ed images.

use crate::*;

#[test]
fn clip_rect_basic() {
    assert_eq!(
        clip_rect(0, 0, 10, 10, 640, 480),
        Some(Rect {
            x: 0,
            y: 0,
            w: 10,
            h: 10
        })
    );
    assert_eq!(
        clip_rect(-5, -5, 10, 10, 640, 480),
        Some(Rect {
            x: 0,
            y: 0,
            w: 5,
            h: 5
        })
    );
    assert_eq!(
        clip_rect(635, 475, 10, 10, 640, 480),
        Some(Rect {
            x: 635,
            y: 475,
            w: 5,
            h: 5
        })
    );
    assert_eq!(clip_rect(640, 0, 10, 10, 640, 480), None);
    assert_eq!(clip_rect(-10, 0, 10, 10, 640, 480), None);
    assert_eq!(clip_rect(0, 0, 0, 10, 640, 480), None);
    assert_eq!(clip_rect(0, 0, 10, 0, 640, 480), None);
    assert_eq!(clip_rect(0, 0, -10, 10, 640, 480), None);
    assert_eq!(clip_rect(0, 0, 10, -10, 640, 480), None);
    assert_eq!(clip_rect(0, 0, 10, 10, 0, 480), None);
    assert_eq!(clip_rect(0, 0, 10, 10, -640, 480), None);
    assert_eq!(
        clip_rect(i32::MIN, i32::MIN, i32::MAX, i32::MAX, 640, 480),
        None,
        "MIN + MAX = -1: entirely off-screen"
    );
    assert_eq!(
        clip_rect(-1, -1, i32::MAX, i32::MAX, 640, 480),
        Some(Rect {
            x: 0,
            y: 0,
            w: 640,
            h: 480
        })
    );
    assert_eq!(
        clip_rect(i32::MAX, i32::MAX, i32::MAX, i32::MAX, 640, 480),
        None
    );
}

/// Reference model in i128: the visible interval of one axis, if any.
fn model_axis(pos: i32, len: i32, limit: i32) -> Option<(usize, usize)> {
    let (lo, hi) = (pos as i128, pos as i128 + len as i128);
    let (lo, hi) = (lo.max(0), hi.min(limit as i128));
    (len > 0 && hi > lo).then(|| (lo as usize, (hi - lo) as usize))
}

#[test]
fn clip_rect_exhaustive_edges() {
    let vals = [
        i32::MIN,
        i32::MIN + 1,
        -641,
        -640,
        -1,
        0,
        1,
        479,
        480,
        639,
        640,
        641,
        i32::MAX - 1,
        i32::MAX,
    ];
    let screens = [
        (640, 480),
        (1, 1),
        (0, 0),
        (0, 480),
        (-1, -1),
        (i32::MIN, 5),
        (i32::MAX, i32::MAX),
    ];
    for &x in &vals {
        for &w in &vals {
            for &(sw, sh) in &screens {
                for &(y, h) in &[(x, w), (0, 1), (-1, 2), (w, x)] {
                    let got = clip_rect(x, y, w, h, sw, sh);
                    let want = model_axis(x, w, sw)
                        .zip(model_axis(y, h, sh))
                        .map(|((x, w), (y, h))| Rect { x, y, w, h });
                    assert_eq!(got, want, "x={x} y={y} w={w} h={h} screen={sw}x{sh}");
                    if let Some(r) = got {
                        assert!(r.w > 0 && r.h > 0);
                        assert!(r.x + r.w <= sw as usize && r.y + r.h <= sh as usize);
                    }
                }
            }
        }
    }
}

#[test]
fn clip_point_edges() {
    assert_eq!(clip_point(0, 0, 640, 480), Some((0, 0)));
    assert_eq!(clip_point(639, 479, 640, 480), Some((639, 479)));
    assert_eq!(clip_point(640, 0, 640, 480), None);
    assert_eq!(clip_point(0, 480, 640, 480), None);
    assert_eq!(clip_point(-1, 0, 640, 480), None);
    assert_eq!(clip_point(i32::MIN, i32::MAX, 640, 480), None);
    assert_eq!(clip_point(0, 0, 0, 0), None);
}

#[test]
fn colours() {
    assert_eq!(rgb_clamp(i32::MIN), 0);
    assert_eq!(rgb_clamp(-1), 0);
    assert_eq!(rgb_clamp(0), 0);
    assert_eq!(rgb_clamp(128), 128);
    assert_eq!(rgb_clamp(255), 255);
    assert_eq!(rgb_clamp(256), 255);
    assert_eq!(rgb_clamp(i32::MAX), 255);
    assert_eq!(rgb(0x12, 0x34, 0x56), 0x123456);
    assert_eq!(unpack_rgb(0xff123456), (0x12, 0x34, 0x56));
}

#[test]
fn scale_fits() {
    let s = Scale::for_present(320, 200, 640, 480).unwrap();
    assert_eq!(
        s,
        Scale {
            factor: 2,
            off_x: 0,
            off_y: 40,
            cols: 320,
            rows: 200
        }
    );
    let s = Scale::for_present(320, 200, 1920, 1080).unwrap();
    assert_eq!(s.factor, 5);
    assert_eq!((s.off_x, s.off_y), (160, 40));
    assert_eq!((s.shown_width(), s.shown_height()), (1600, 1000));
    let s = Scale::for_present(640, 480, 640, 480).unwrap();
    assert_eq!(
        s,
        Scale {
            factor: 1,
            off_x: 0,
            off_y: 0,
            cols: 640,
            rows: 480
        }
    );
    let s = Scale::for_present(1, 1, 640, 480).unwrap();
    assert_eq!(
        s,
        Scale {
            factor: 480,
            off_x: 80,
            off_y: 0,
            cols: 1,
            rows: 1
        }
    );
}

#[test]
fn scale_too_big_clips() {
    let s = Scale::for_present(800, 200, 640, 480).unwrap();
    assert_eq!(
        s,
        Scale {
            factor: 1,
            off_x: 0,
            off_y: 140,
            cols: 640,
            rows: 200
        }
    );
    let s = Scale::for_present(4096, 4096, 640, 480).unwrap();
    assert_eq!(
        s,
        Scale {
            factor: 1,
            off_x: 0,
            off_y: 0,
            cols: 640,
            rows: 480
        }
    );
}

#[test]
fn scale_zero_and_exhaustive() {
    assert_eq!(Scale::for_present(0, 1, 640, 480), None);
    assert_eq!(Scale::for_present(1, 0, 640, 480), None);
    assert_eq!(Scale::for_present(1, 1, 0, 480), None);
    assert_eq!(Scale::for_present(1, 1, 640, 0), None);
    for w in [1usize, 2, 3, 319, 320, 321, 639, 640, 641, 4096] {
        for h in [1usize, 2, 199, 200, 479, 480, 481, 4096] {
            for (sw, sh) in [(640usize, 480usize), (1, 1), (1920, 1080), (usize::MAX, 1)] {
                let s = Scale::for_present(w, h, sw, sh).unwrap();
                assert!(s.factor >= 1);
                assert!(s.off_x + s.shown_width() <= sw);
                assert!(s.off_y + s.shown_height() <= sh);
                if w <= sw && h <= sh {
                    assert_eq!((s.cols, s.rows), (w, h));
                    // Largest: one more would not fit.
                    let f = s.factor + 1;
                    assert!(w.saturating_mul(f) > sw || h.saturating_mul(f) > sh);
                }
            }
        }
    }
}
