//! Figure values: encoded bytes that save atomically and display inline in
//! Evcxr notebooks.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::{draw_err, PlotError, Result};
use super::font::ensure_fonts;

/// A rendered still image (PNG bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    png: Vec<u8>,
    width: u32,
    height: u32,
}

/// A rendered animation (GIF bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Animation {
    pub(crate) gif: Vec<u8>,
    pub(crate) frames: usize,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Writes `bytes` to `path` with [`crate::report::write_atomic`] (temporary
/// file in the same directory, then rename), keeping the path of a failed
/// write in [`PlotError::Io`].
fn save_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::report::write_atomic(path, bytes).map_err(|e| match e {
        crate::error::Error::Io { path, source } => PlotError::Io { path, source },
        other => PlotError::Problem(other),
    })
}

/// Writes the Evcxr display envelope for `mime` with base64 `bytes`.
fn write_envelope(out: &mut impl Write, mime: &str, bytes: &[u8]) -> std::io::Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    writeln!(out, "EVCXR_BEGIN_CONTENT {mime}")?;
    writeln!(out, "{b64}")?;
    writeln!(out, "EVCXR_END_CONTENT")
}

impl Figure {
    /// Wraps PNG bytes of a `width × height` image.
    pub fn from_png(png: Vec<u8>, width: u32, height: u32) -> Self {
        Self { png, width, height }
    }

    /// The PNG file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.png
    }

    /// Consumes the figure, returning the PNG bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.png
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Saves the PNG atomically (temporary file in the same directory, then
    /// rename).
    ///
    /// # Errors
    /// [`PlotError::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_atomic(path.as_ref(), &self.png)
    }

    /// Writes the Evcxr envelope (`EVCXR_BEGIN_CONTENT image/png`, base64,
    /// `EVCXR_END_CONTENT`) to `out`.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn write_evcxr(&self, out: &mut impl Write) -> std::io::Result<()> {
        write_envelope(out, "image/png", &self.png)
    }

    /// Shows the figure inline in an Evcxr notebook (prints the envelope of
    /// [`Figure::write_evcxr`] to standard output).
    pub fn evcxr_display(&self) {
        let _ = self.write_evcxr(&mut std::io::stdout().lock());
    }
}

impl Animation {
    /// The GIF file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.gif
    }

    /// Consumes the animation, returning the GIF bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.gif
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Saves the GIF atomically.
    ///
    /// # Errors
    /// [`PlotError::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_atomic(path.as_ref(), &self.gif)
    }

    /// Writes the Evcxr envelope (`image/gif`) to `out`.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn write_evcxr(&self, out: &mut impl Write) -> std::io::Result<()> {
        write_envelope(out, "image/gif", &self.gif)
    }

    /// Shows the animation inline in an Evcxr notebook.
    pub fn evcxr_display(&self) {
        let _ = self.write_evcxr(&mut std::io::stdout().lock());
    }
}

/// Encodes an RGB buffer (`width × height × 3`) as PNG with fixed settings
/// (8-bit RGB, adaptive filtering, default compression): same pixels, same
/// bytes.
///
/// # Errors
/// [`PlotError::Encode`] if the buffer has the wrong size.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(PlotError::Encode(
            "RGB buffer does not match the image size".into(),
        ));
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        enc.set_filter(png::FilterType::Paeth);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut w = enc
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        w.finish().map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}

/// Renders any drawing function onto a `width × height` RGB bitmap and
/// encodes it as a PNG [`Figure`]. The way to turn your own plotters code
/// into an inline notebook image:
///
/// ```
/// use quad_vs_grad::plot::{render_png, PlotError};
/// use plotters::prelude::*;
/// let fig = render_png(200, 100, |root| {
///     root.fill(&WHITE).map_err(|e| PlotError::Drawing(e.to_string()))
/// })?;
/// assert_eq!(fig.width(), 200);
/// # Ok::<(), PlotError>(())
/// ```
///
/// # Errors
/// [`PlotError::InvalidInput`] for a zero size, or the drawing function's error.
pub fn render_png<F>(width: u32, height: u32, draw: F) -> Result<Figure>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
{
    let buf = render_rgb(width, height, draw)?;
    Ok(Figure::from_png(
        encode_png(&buf, width, height)?,
        width,
        height,
    ))
}

/// Renders onto a fresh white RGB buffer.
pub(crate) fn render_rgb<F>(width: u32, height: u32, draw: F) -> Result<Vec<u8>>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
{
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(PlotError::InvalidInput(format!(
            "image size {width} × {height} is out of range"
        )));
    }
    ensure_fonts();
    let mut buf = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(buf)
}

/// Renders any drawing function as SVG text (text stays text, in the
/// `sans-serif` family).
///
/// # Errors
/// [`PlotError::InvalidInput`] for a zero size, or the drawing function's error.
pub fn render_svg<F>(width: u32, height: u32, draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
{
    if width == 0 || height == 0 {
        return Err(PlotError::InvalidInput("image size is zero".into()));
    }
    ensure_fonts();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(s)
}
