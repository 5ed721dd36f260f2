//! Screen geometry: clipping what a game draws to the screen, colours, and where a
//! `present`ed image goes. Shared by the kernel, the host-side harness and the game SDK, so
//! a game draws the same picture in all three.

/// A non-empty rectangle that lies entirely on the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// Clips one axis: returns (start, length) of `[pos, pos+len)` inside `[0, limit)`.
fn clip_axis(pos: i32, len: i32, limit: i32) -> Option<(usize, usize)> {
    if len <= 0 || limit <= 0 {
        return None;
    }
    // i64 cannot overflow here: |pos| + |len| < 2^32.
    let start = i64::from(pos).max(0);
    let end = (i64::from(pos) + i64::from(len)).min(i64::from(limit));
    (end > start).then(|| (start as usize, (end - start) as usize))
}

/// Clips the rectangle `(x, y, w, h)` to a `screen_w` x `screen_h` screen.
///
/// Returns `None` when nothing is visible: zero or negative width/height, a rectangle entirely
/// off-screen, or an empty screen. Never overflows, for any `i32` inputs.
pub fn clip_rect(x: i32, y: i32, w: i32, h: i32, screen_w: i32, screen_h: i32) -> Option<Rect> {
    let (x, w) = clip_axis(x, w, screen_w)?;
    let (y, h) = clip_axis(y, h, screen_h)?;
    Some(Rect { x, y, w, h })
}

/// Returns the point as screen indices if it is on a `screen_w` x `screen_h` screen.
pub fn clip_point(x: i32, y: i32, screen_w: i32, screen_h: i32) -> Option<(usize, usize)> {
    ((0..screen_w).contains(&x) && (0..screen_h).contains(&y)).then_some((x as usize, y as usize))
}

/// Clamps a colour channel to `0..=255`.
pub fn rgb_clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Packs channels into `0x00RRGGBB`.
pub const fn rgb(r: u8, g: u8, b: u8) -> u32 {
    (r as u32) << 16 | (g as u32) << 8 | b as u32
}

/// Splits `0x00RRGGBB` (the top byte is ignored) into `(r, g, b)`.
pub const fn unpack_rgb(c: u32) -> (u8, u8, u8) {
    ((c >> 16) as u8, (c >> 8) as u8, c as u8)
}

/// Placement of a `present` image on the screen.
///
/// Source pixel `(sx, sy)` for `sx < cols`, `sy < rows` covers the screen square
/// `(off_x + sx * factor, off_y + sy * factor)` of side `factor`. Everything outside
/// `off_x..off_x + cols * factor` by `off_y..off_y + rows * factor` is border, cleared by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Integer magnification, at least 1.
    pub factor: usize,
    /// Screen x of the image's left edge.
    pub off_x: usize,
    /// Screen y of the image's top edge.
    pub off_y: usize,
    /// Source columns shown (`width`, or fewer when the image is wider than the screen).
    pub cols: usize,
    /// Source rows shown (`height`, or fewer when the image is taller than the screen).
    pub rows: usize,
}

impl Scale {
    /// Computes the placement of a `width` x `height` image on a `screen_w` x `screen_h` screen:
    /// the largest integer factor at which the image fits, centred.
    ///
    /// If the image is larger than the screen in either dimension, the factor is 1, and each
    /// axis that does not fit starts at screen 0 and shows the image's leading part (left
    /// columns / top rows) only; an axis that fits is still centred. `None` if any size is 0.
    pub fn for_present(
        width: usize,
        height: usize,
        screen_w: usize,
        screen_h: usize,
    ) -> Option<Scale> {
        if width == 0 || height == 0 || screen_w == 0 || screen_h == 0 {
            return None;
        }
        let factor = (screen_w / width).min(screen_h / height).max(1);
        // Fits: width * factor <= screen_w, so no overflow; otherwise factor == 1.
        let cols = width.min(screen_w);
        let rows = height.min(screen_h);
        let off_x = (screen_w - cols * factor) / 2;
        let off_y = (screen_h - rows * factor) / 2;
        Some(Scale {
            factor,
            off_x,
            off_y,
            cols,
            rows,
        })
    }

    /// Screen width covered by the image.
    pub fn shown_width(&self) -> usize {
        self.cols * self.factor
    }

    /// Screen height covered by the image.
    pub fn shown_height(&self) -> usize {
        self.rows * self.factor
    }
}
