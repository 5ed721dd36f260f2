//! The framebuffer, from the UEFI Graphics Output Protocol.
//!
//! Why we keep the current mode: the firmware already chose a mode its display accepts
//! (OVMF: the preferred resolution), and changing modes would blank the console we print
//! errors on. Every GOP mode with a linear framebuffer is listed in the response's mode
//! list (framebuffer response revision 1, as Limine v8 reports).

use alloc::vec::Vec;

use loader_core::protocol::{MEMORY_MODEL_RGB, VideoMode, rgb_layout};
use uefi::boot::{self, OpenProtocolAttributes, OpenProtocolParams};
use uefi::proto::console::gop::{GraphicsOutput, ModeInfo, PixelFormat};

/// What the framebuffer response needs.
pub struct FramebufferInfo {
    /// Physical address.
    pub phys: u64,
    /// The current mode.
    pub mode: VideoMode,
    /// Every usable mode.
    pub modes: Vec<VideoMode>,
}

fn video_mode(info: &ModeInfo) -> Option<VideoMode> {
    let (width, height) = info.resolution();
    let (masks, bpp) = match info.pixel_format() {
        // Byte 0 is red / blue respectively, 8 bits each, one reserved byte.
        PixelFormat::Rgb => ([(8, 0), (8, 8), (8, 16)], 32u16),
        PixelFormat::Bgr => ([(8, 16), (8, 8), (8, 0)], 32),
        PixelFormat::Bitmask => {
            let m = info.pixel_bitmask()?;
            let all = m.red | m.green | m.blue | m.reserved;
            let bits = 32 - all.leading_zeros();
            (
                rgb_layout(m.red, m.green, m.blue)?,
                bits.div_ceil(8) as u16 * 8,
            )
        }
        PixelFormat::BltOnly => return None,
    };
    Some(VideoMode {
        pitch: info.stride() as u64 * u64::from(bpp / 8),
        width: width as u64,
        height: height as u64,
        bpp,
        memory_model: MEMORY_MODEL_RGB,
        red_mask_size: masks[0].0,
        red_mask_shift: masks[0].1,
        green_mask_size: masks[1].0,
        green_mask_shift: masks[1].1,
        blue_mask_size: masks[2].0,
        blue_mask_shift: masks[2].1,
    })
}

/// The current GOP framebuffer, or `None` without GOP or without a linear framebuffer.
pub fn framebuffer() -> Option<FramebufferInfo> {
    let handle = boot::get_handle_for_protocol::<GraphicsOutput>().ok()?;
    // SAFETY: GetProtocol does not take the GOP away from the firmware's console (an
    // exclusive open would); we only read mode information and the framebuffer address,
    // and drop the protocol before ExitBootServices.
    let mut gop = unsafe {
        boot::open_protocol::<GraphicsOutput>(
            OpenProtocolParams {
                handle,
                agent: boot::image_handle(),
                controller: None,
            },
            OpenProtocolAttributes::GetProtocol,
        )
    }
    .ok()?;
    let mode = video_mode(&gop.current_mode_info())?;
    let modes = gop.modes().filter_map(|m| video_mode(m.info())).collect();
    let phys = gop.frame_buffer().as_mut_ptr() as u64;
    Some(FramebufferInfo { phys, mode, modes })
}
