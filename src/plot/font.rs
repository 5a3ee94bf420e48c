//! The one font of every figure: the embedded DejaVu Sans, so a figure has
//! the same bytes on a machine without any system font.

use std::sync::Once;

/// The font family every figure uses; [`ensure_fonts`] binds it to the
/// embedded DejaVu Sans.
pub const FONT: &str = "sans-serif";

static FONTS: Once = Once::new();

/// Registers the embedded DejaVu Sans (regular, bold, oblique) as the font
/// family [`FONT`] (`"sans-serif"`) with plotters, once per process.
///
/// Every figure function calls this; call it yourself only before drawing on
/// a backend with your own code.
pub fn ensure_fonts() {
    use plotters::style::{register_font, FontStyle};
    FONTS.call_once(|| {
        // The bytes are DejaVu's own TTF files compiled into the binary, so
        // parsing cannot fail; if it ever did, text would be missing rather
        // than the program aborting.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = register_font(FONT, FontStyle::Oblique, dejavu::sans::oblique());
        let _ = register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}
