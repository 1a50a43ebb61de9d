//! Screenshots of terminal screens: rasterizes a [`vt100::Screen`] (as kept
//! by the pseudo-terminal test harness, `osctui_testkit::pty`) to an RGBA
//! image or a PNG file.
//!
//! Every cell is drawn with its background and foreground colours (the
//! terminal's default colours, the 256 indexed colours, or RGB), in
//! DejaVu Sans Mono (regular, or bold for bold cells) at [`FONT_PX`] pixels.
//! Inverse video swaps the colours, dim text is drawn half-way to the
//! background, underlined text gets a one-pixel line, and wide characters
//! span two cells. Box-drawing lines and the lower block elements (`▁` to
//! `█`, sparklines) are drawn as exact rectangles so that they join across
//! cells. A character the font lacks is left out (the cell keeps
//! its background). The cursor is not drawn.
//!
//! The fonts are read at run time from `$OSCTUI_SHOT_FONT_DIR`, else from
//! [`DEFAULT_FONT_DIR`] (Debian's `fonts-dejavu-core`).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};

/// Environment variable naming the directory that holds the font files.
pub const FONT_DIR_ENV: &str = "OSCTUI_SHOT_FONT_DIR";

/// Directory of the font files when [`FONT_DIR_ENV`] is not set.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// File name of the regular font face, inside the font directory.
pub const REGULAR_FONT_FILE: &str = "DejaVuSansMono.ttf";

/// File name of the bold font face, inside the font directory.
pub const BOLD_FONT_FILE: &str = "DejaVuSansMono-Bold.ttf";

/// Font size, in pixels per em.
pub const FONT_PX: f32 = 16.0;

/// The terminal's default background colour.
pub const DEFAULT_BG: Rgb = [0x1e, 0x1e, 0x2e];

/// The terminal's default foreground colour.
pub const DEFAULT_FG: Rgb = [0xcd, 0xd6, 0xf4];

/// An RGB colour.
pub type Rgb = [u8; 3];

/// The 16 base colours (indices 0-15): black, red, green, yellow, blue,
/// magenta, cyan, white, then their bright variants, in a dark palette that
/// goes with [`DEFAULT_BG`] / [`DEFAULT_FG`].
pub const BASE_PALETTE: [Rgb; 16] = [
    [0x45, 0x47, 0x5a],
    [0xf3, 0x4b, 0x4b],
    [0xa6, 0xe3, 0xa1],
    [0xf9, 0xe2, 0xaf],
    [0x89, 0xb4, 0xfa],
    [0xf5, 0xc2, 0xe7],
    [0x94, 0xe2, 0xd5],
    [0xba, 0xc2, 0xde],
    [0x58, 0x5b, 0x70],
    [0xff, 0x6b, 0x6b],
    [0xb8, 0xf0, 0xb2],
    [0xfc, 0xe9, 0xc0],
    [0x9c, 0xc2, 0xff],
    [0xf8, 0xd0, 0xee],
    [0xa8, 0xee, 0xe2],
    [0xe6, 0xe9, 0xf5],
];

/// Errors of loading the fonts or writing a screenshot.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A font file could not be read.
    #[error(
        "cannot read font {path}: {source} (install DejaVu Sans Mono, e.g. Debian's \
         fonts-dejavu-core, or set {FONT_DIR_ENV} to a directory holding \
         {REGULAR_FONT_FILE} and {BOLD_FONT_FILE})"
    )]
    FontMissing {
        /// The font file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A font file is not a usable TrueType/OpenType font.
    #[error("invalid font {path}")]
    InvalidFont {
        /// The font file.
        path: PathBuf,
    },
    /// The image would be empty or too large.
    #[error("cannot make a {width}x{height} pixel image")]
    Size {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
    },
    /// The PNG file could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The PNG file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("cannot encode {path}: {source}")]
    Png {
        /// The PNG file.
        path: PathBuf,
        /// The underlying error.
        source: png::EncodingError,
    },
}

/// An 8-bit RGBA image, rows top to bottom, 4 bytes a pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
}

impl RgbaImage {
    /// The RGBA value of pixel (`x`, `y`), if inside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        let p = self.pixels.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }

    /// Writes the image as an 8-bit RGB PNG file.
    pub fn write_png(&self, path: &Path) -> Result<(), Error> {
        let io_err = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let png_err = |source| Error::Png {
            path: path.to_owned(),
            source,
        };
        let file = File::create(path).map_err(io_err)?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(png_err)?;
        let rgb: Vec<u8> = self
            .pixels
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        writer.write_image_data(&rgb).map_err(png_err)?;
        writer.finish().map_err(png_err)
    }
}

/// The colour of an indexed colour (0-255) as xterm defines it: the
/// [`BASE_PALETTE`], a 6x6x6 colour cube, then a 24-step grey ramp.
pub fn indexed_color(index: u8) -> Rgb {
    match index {
        0..=15 => BASE_PALETTE[usize::from(index)],
        16..=231 => {
            let i = index - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            [level(i / 36), level((i / 6) % 6), level(i % 6)]
        }
        232..=255 => {
            let v = 8 + (index - 232) * 10;
            [v, v, v]
        }
    }
}

fn resolve(color: vt100::Color, default: Rgb) -> Rgb {
    match color {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) => indexed_color(i),
        vt100::Color::Rgb(r, g, b) => [r, g, b],
    }
}

/// The background and foreground colours a cell is drawn with.
fn cell_colors(cell: &vt100::Cell) -> (Rgb, Rgb) {
    let mut bg = resolve(cell.bgcolor(), DEFAULT_BG);
    let mut fg = resolve(cell.fgcolor(), DEFAULT_FG);
    if cell.inverse() {
        std::mem::swap(&mut bg, &mut fg);
    }
    if cell.dim() {
        fg = mix(bg, fg, 0.5);
    }
    (bg, fg)
}

/// `a` blended towards `b` by `t` (0 = `a`, 1 = `b`).
fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let channel = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    [
        channel(a[0], b[0]),
        channel(a[1], b[1]),
        channel(a[2], b[2]),
    ]
}

/// A rasterized glyph: coverage values relative to the cell's top-left
/// corner.
struct Bitmap {
    left: i32,
    top: i32,
    width: u32,
    height: u32,
    coverage: Vec<f32>,
}

/// The two font faces and the cell metrics derived from them; reuse one for
/// many screenshots.
pub struct Fonts {
    regular: FontVec,
    bold: FontVec,
    scale: PxScale,
    cell_width: u32,
    cell_height: u32,
    baseline: f32,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("cell_width", &self.cell_width)
            .field("cell_height", &self.cell_height)
            .finish_non_exhaustive()
    }
}

/// The directory the fonts are read from: `$OSCTUI_SHOT_FONT_DIR` if set
/// and not empty, else [`DEFAULT_FONT_DIR`].
pub fn font_dir() -> PathBuf {
    std::env::var_os(FONT_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_FONT_DIR), PathBuf::from)
}

fn load_font(path: PathBuf) -> Result<FontVec, Error> {
    let data = std::fs::read(&path).map_err(|source| Error::FontMissing {
        path: path.clone(),
        source,
    })?;
    FontVec::try_from_vec(data).map_err(|_| Error::InvalidFont { path })
}

impl Fonts {
    /// Loads the fonts from [`font_dir`].
    pub fn load() -> Result<Fonts, Error> {
        Self::load_from(&font_dir())
    }

    /// Loads [`REGULAR_FONT_FILE`] and [`BOLD_FONT_FILE`] from `dir`.
    pub fn load_from(dir: &Path) -> Result<Fonts, Error> {
        let regular = load_font(dir.join(REGULAR_FONT_FILE))?;
        let bold = load_font(dir.join(BOLD_FONT_FILE))?;
        let scale = regular
            .pt_to_px_scale(FONT_PX * 72.0 / 96.0)
            .unwrap_or(PxScale::from(FONT_PX));
        let scaled = regular.as_scaled(scale);
        let advance = scaled.h_advance(regular.glyph_id('M'));
        let cell_width = advance.ceil().max(1.0) as u32;
        let cell_height = (scaled.ascent() - scaled.descent()).ceil().max(1.0) as u32;
        let baseline = scaled.ascent().round();
        Ok(Fonts {
            regular,
            bold,
            scale,
            cell_width,
            cell_height,
            baseline,
        })
    }

    /// Size of one cell in pixels, `(width, height)`.
    pub fn cell_size(&self) -> (u32, u32) {
        (self.cell_width, self.cell_height)
    }

    /// Rasterizes `c` to be drawn in a span of `span_width` pixels; `None`
    /// when the font has no glyph for it (or it is blank).
    fn rasterize(&self, c: char, bold: bool, span_width: u32) -> Option<Bitmap> {
        let font = if bold { &self.bold } else { &self.regular };
        let id = font.glyph_id(c);
        if id.0 == 0 {
            return None;
        }
        let advance = font.as_scaled(self.scale).h_advance(id);
        let x = ((span_width as f32 - advance) / 2.0).max(0.0).round();
        let glyph = id.with_scale_and_position(self.scale, point(x, self.baseline));
        let outlined = font.outline_glyph(glyph)?;
        let bounds = outlined.px_bounds();
        let width = bounds.width().max(0.0) as u32;
        let height = bounds.height().max(0.0) as u32;
        let mut coverage = vec![0.0f32; width as usize * height as usize];
        outlined.draw(|gx, gy, v| {
            if gx < width && gy < height {
                coverage[(gy * width + gx) as usize] = v;
            }
        });
        Some(Bitmap {
            left: bounds.min.x as i32,
            top: bounds.min.y as i32,
            width,
            height,
            coverage,
        })
    }

    /// Renders `screen` to an RGBA image of `cols * cell_width` by
    /// `rows * cell_height` pixels.
    pub fn render_rgba(&self, screen: &vt100::Screen) -> Result<RgbaImage, Error> {
        let (rows, cols) = screen.size();
        let (rows, cols) = (rows.get(), cols.get());
        let width = u64::from(cols) * u64::from(self.cell_width);
        let height = u64::from(rows) * u64::from(self.cell_height);
        let too_big = width * height * 4 > (1 << 31);
        let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
            return Err(Error::Size { width, height });
        };
        if too_big || width == 0 || height == 0 {
            return Err(Error::Size {
                width: width.into(),
                height: height.into(),
            });
        }
        let mut canvas = Canvas {
            width,
            height,
            pixels: vec![0; width as usize * height as usize * 4],
        };
        canvas.fill(0, 0, width, height, DEFAULT_BG);

        // Backgrounds first, so that glyphs reaching into a neighbouring
        // cell are not painted over.
        for row in 0..rows {
            for col in 0..cols {
                let Some(cell) = screen.cell(row, col) else {
                    continue;
                };
                let owner = if cell.is_wide_continuation() && col > 0 {
                    screen
                        .cell(row, col - 1)
                        .filter(|c| c.is_wide())
                        .unwrap_or(cell)
                } else {
                    cell
                };
                let (bg, _) = cell_colors(owner);
                canvas.fill(
                    u32::from(col) * self.cell_width,
                    u32::from(row) * self.cell_height,
                    self.cell_width,
                    self.cell_height,
                    bg,
                );
            }
        }

        let mut cache: HashMap<(char, bool, bool), Option<Bitmap>> = HashMap::new();
        for row in 0..rows {
            for col in 0..cols {
                let Some(cell) = screen.cell(row, col) else {
                    continue;
                };
                if cell.is_wide_continuation() {
                    continue;
                }
                let (_, fg) = cell_colors(cell);
                let span = if cell.is_wide() { 2 } else { 1 };
                let x0 = i64::from(col) * i64::from(self.cell_width);
                let y0 = i64::from(row) * i64::from(self.cell_height);
                for c in cell.contents().chars() {
                    if c == ' ' {
                        continue;
                    }
                    if let Some(eighths) = lower_block_eighths(c) {
                        // Exact fractions of the cell, so that sparklines
                        // join without gaps whatever the font's glyphs.
                        let h = self.cell_height * eighths / 8;
                        canvas.fill(
                            u32::from(col) * self.cell_width,
                            u32::from(row) * self.cell_height + self.cell_height - h,
                            self.cell_width,
                            h,
                            fg,
                        );
                        continue;
                    }
                    if let Some(arms) = box_arms(c) {
                        canvas.draw_box(
                            u32::from(col) * self.cell_width,
                            u32::from(row) * self.cell_height,
                            self.cell_width,
                            self.cell_height,
                            arms,
                            fg,
                        );
                        continue;
                    }
                    let bitmap = cache
                        .entry((c, cell.bold(), span == 2))
                        .or_insert_with(|| self.rasterize(c, cell.bold(), span * self.cell_width));
                    if let Some(bitmap) = bitmap {
                        canvas.blend(x0, y0, bitmap, fg);
                    }
                }
                if cell.underline() {
                    let y = y0 + (self.baseline as i64 + 2).min(i64::from(self.cell_height) - 1);
                    if let Ok(y) = u32::try_from(y) {
                        canvas.fill(
                            u32::from(col) * self.cell_width,
                            y,
                            span * self.cell_width,
                            1,
                            fg,
                        );
                    }
                }
            }
        }
        Ok(RgbaImage {
            width,
            height,
            pixels: canvas.pixels,
        })
    }

    /// Renders `screen` ([`Fonts::render_rgba`]) and writes it to `path`
    /// as a PNG file.
    pub fn render_png(&self, screen: &vt100::Screen, path: &Path) -> Result<(), Error> {
        self.render_rgba(screen)?.write_png(path)
    }
}

/// Line weight of one arm of a box-drawing character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arm {
    None,
    Light,
    Heavy,
    Double,
}

/// How many eighths of the cell's height, from the bottom, a lower block
/// element (`▁` U+2581 to `█` U+2588) fills; `None` for other characters.
fn lower_block_eighths(c: char) -> Option<u32> {
    let n = u32::from(c).checked_sub(0x2580)?;
    (1..=8).contains(&n).then_some(n)
}

/// The arms (left, right, up, down) of the box-drawing characters drawn as
/// lines, so that they join across cells whatever the font's line height;
/// `None` for every other character. Dashed lines are drawn solid and
/// rounded corners square.
fn box_arms(c: char) -> Option<[Arm; 4]> {
    use Arm::{Double as D, Heavy as H, Light as L, None as N};
    let arms = match c {
        '─' | '┄' | '┈' | '╌' => [L, L, N, N],
        '━' | '┅' | '┉' | '╍' => [H, H, N, N],
        '│' | '┆' | '┊' | '╎' => [N, N, L, L],
        '┃' | '┇' | '┋' | '╏' => [N, N, H, H],
        '┌' | '╭' => [N, L, N, L],
        '┏' => [N, H, N, H],
        '┐' | '╮' => [L, N, N, L],
        '┓' => [H, N, N, H],
        '└' | '╰' => [N, L, L, N],
        '┗' => [N, H, H, N],
        '┘' | '╯' => [L, N, L, N],
        '┛' => [H, N, H, N],
        '├' => [N, L, L, L],
        '┣' => [N, H, H, H],
        '┤' => [L, N, L, L],
        '┫' => [H, N, H, H],
        '┬' => [L, L, N, L],
        '┳' => [H, H, N, H],
        '┴' => [L, L, L, N],
        '┻' => [H, H, H, N],
        '┼' => [L, L, L, L],
        '╋' => [H, H, H, H],
        '═' => [D, D, N, N],
        '║' => [N, N, D, D],
        '╔' => [N, D, N, D],
        '╗' => [D, N, N, D],
        '╚' => [N, D, D, N],
        '╝' => [D, N, D, N],
        '╠' => [N, D, D, D],
        '╣' => [D, N, D, D],
        '╦' => [D, D, N, D],
        '╩' => [D, D, D, N],
        '╬' => [D, D, D, D],
        '╴' => [L, N, N, N],
        '╵' => [N, N, L, N],
        '╶' => [N, L, N, N],
        '╷' => [N, N, N, L],
        '╸' => [H, N, N, N],
        '╹' => [N, N, H, N],
        '╺' => [N, H, N, N],
        '╻' => [N, N, N, H],
        _ => return None,
    };
    Some(arms)
}

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, color: Rgb) {
        let x_end = x.saturating_add(w).min(self.width);
        let y_end = y.saturating_add(h).min(self.height);
        for py in y..y_end {
            for px in x..x_end {
                let i = (py as usize * self.width as usize + px as usize) * 4;
                if let Some(p) = self.pixels.get_mut(i..i + 4) {
                    p.copy_from_slice(&[color[0], color[1], color[2], 255]);
                }
            }
        }
    }

    /// Draws the arms of a box-drawing character in the cell at (`x`, `y`)
    /// of `w` x `h` pixels, each from the cell's edge to its centre.
    fn draw_box(&mut self, x: u32, y: u32, w: u32, h: u32, arms: [Arm; 4], color: Rgb) {
        let cx = x + w / 2;
        let cy = y + h / 2;
        // (offset from the centre line, thickness) of the strokes of an arm.
        let strokes = |arm: Arm| -> &'static [(i32, u32)] {
            match arm {
                Arm::None => &[],
                Arm::Light => &[(0, 1)],
                Arm::Heavy => &[(-1, 3)],
                Arm::Double => &[(-1, 1), (1, 1)],
            }
        };
        let at = |base: u32, offset: i32| base.saturating_add_signed(offset);
        let [left, right, up, down] = arms;
        // Horizontal arms reach past the centre by 1 pixel, covering where
        // double or heavy vertical strokes are.
        for &(off, thick) in strokes(left) {
            self.fill(x, at(cy, off), cx + 2 - x, thick, color);
        }
        for &(off, thick) in strokes(right) {
            let from = cx.saturating_sub(1);
            self.fill(from, at(cy, off), x + w - from, thick, color);
        }
        for &(off, thick) in strokes(up) {
            self.fill(at(cx, off), y, thick, cy + 2 - y, color);
        }
        for &(off, thick) in strokes(down) {
            let from = cy.saturating_sub(1);
            self.fill(at(cx, off), from, thick, y + h - from, color);
        }
    }

    fn blend(&mut self, x0: i64, y0: i64, bitmap: &Bitmap, color: Rgb) {
        for gy in 0..bitmap.height {
            let y = y0 + i64::from(bitmap.top) + i64::from(gy);
            if y < 0 || y >= i64::from(self.height) {
                continue;
            }
            for gx in 0..bitmap.width {
                let x = x0 + i64::from(bitmap.left) + i64::from(gx);
                if x < 0 || x >= i64::from(self.width) {
                    continue;
                }
                let v = bitmap.coverage[(gy * bitmap.width + gx) as usize];
                if v <= 0.0 {
                    continue;
                }
                let i = (y as usize * self.width as usize + x as usize) * 4;
                if let Some(p) = self.pixels.get_mut(i..i + 3) {
                    let blended = mix([p[0], p[1], p[2]], color, v);
                    p.copy_from_slice(&blended);
                }
            }
        }
    }
}

/// Renders `screen` to an RGBA image, loading the fonts from [`font_dir`]
/// (use [`Fonts`] to render many screens with one load).
pub fn render_rgba(screen: &vt100::Screen) -> Result<RgbaImage, Error> {
    Fonts::load()?.render_rgba(screen)
}

/// Renders `screen` and writes it to `path` as a PNG file, loading the
/// fonts from [`font_dir`] (use [`Fonts`] to render many screens with one
/// load).
pub fn render_png(screen: &vt100::Screen, path: &Path) -> Result<(), Error> {
    Fonts::load()?.render_png(screen, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn fonts() -> Option<Fonts> {
        match Fonts::load() {
            Ok(fonts) => Some(fonts),
            Err(e) => {
                eprintln!("SKIPPED: {e}");
                None
            }
        }
    }

    fn screen(cols: u16, rows: u16, bytes: &[u8]) -> vt100::Screen {
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        );
        parser.process(bytes);
        parser.screen().clone()
    }

    fn is_reddish(p: [u8; 3]) -> bool {
        p[0] > 180 && p[1] < 120 && p[2] < 120
    }

    #[test]
    fn palette() {
        assert_eq!(indexed_color(16), [0, 0, 0]);
        assert_eq!(indexed_color(196), [255, 0, 0]);
        assert_eq!(indexed_color(231), [255, 255, 255]);
        assert_eq!(indexed_color(232), [8, 8, 8]);
        assert_eq!(indexed_color(255), [238, 238, 238]);
        assert_eq!(indexed_color(1), BASE_PALETTE[1]);
    }

    #[test]
    fn missing_font_dir_is_a_clear_error() {
        let err = Fonts::load_from(Path::new("/nonexistent/fonts")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/nonexistent/fonts/DejaVuSansMono.ttf"),
            "{msg}"
        );
        assert!(msg.contains(FONT_DIR_ENV), "{msg}");
    }

    #[test]
    fn renders_colours_to_png() {
        let Some(fonts) = fonts() else { return };
        let (cw, ch) = fonts.cell_size();
        assert!((8..=12).contains(&cw), "cell width {cw}");
        assert!((16..=22).contains(&ch), "cell height {ch}");

        let s = screen(
            40,
            3,
            "\x1b[31mred \x1b[1;42mbold-on-green\x1b[0m ✓ ✗ ↻ │─┌\r\n\
             \x1b[7minv\x1b[0m \x1b[38;2;0;0;255;48;5;226mrgb\x1b[0m 漢字"
                .as_bytes(),
        );
        let dir = std::env::temp_dir().join(format!("osctui-shots-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("screen.png");
        fonts.render_png(&s, &path).unwrap();

        let decoder = png::Decoder::new(BufReader::new(File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (40 * cw, 3 * ch));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let px = |x: u32, y: u32| {
            let i = ((y * info.width + x) * 3) as usize;
            [buf[i], buf[i + 1], buf[i + 2]]
        };

        // "red" is drawn in red on the default background.
        let red = (0..3 * cw)
            .flat_map(|x| (0..ch).map(move |y| (x, y)))
            .filter(|&(x, y)| is_reddish(px(x, y)))
            .count();
        assert!(red > 20, "only {red} red pixels in \"red\"");
        assert_eq!(px(0, 0), DEFAULT_BG);
        // The bold text has a green background (index 2).
        assert_eq!(px(4 * cw, 0), BASE_PALETTE[2]);
        assert_eq!(px(16 * cw + cw - 1, ch - 1), BASE_PALETTE[2]);
        // Past the text: default background.
        assert_eq!(px(39 * cw, 0), DEFAULT_BG);
        // Inverse: default foreground as background.
        assert_eq!(px(0, ch), DEFAULT_FG);
        // 256-colour background (yellow 226) behind "rgb".
        assert_eq!(px(4 * cw, ch), indexed_color(226));
        // RGB foreground: some blue pixels inside "rgb".
        let blue = (4 * cw..7 * cw)
            .flat_map(|x| (ch..2 * ch).map(move |y| (x, y)))
            .filter(|&(x, y)| {
                let p = px(x, y);
                p[2] > 150 && p[0] < 100 && p[1] < 100
            })
            .count();
        assert!(blue > 10, "only {blue} blue pixels in \"rgb\"");
        // The box-drawing line "─" (column 25) crosses its whole cell.
        let line_row = (0..ch).find(|&y| (0..cw).all(|x| px(25 * cw + x, y) != DEFAULT_BG));
        assert!(line_row.is_some(), "no horizontal line in the ─ cell");

        // The same image through render_rgba.
        let image = fonts.render_rgba(&s).unwrap();
        assert_eq!(
            image.pixel(0, ch),
            Some([DEFAULT_FG[0], DEFAULT_FG[1], DEFAULT_FG[2], 255])
        );
        assert_eq!(image.pixel(40 * cw, 0), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wide_characters_span_two_cells() {
        let Some(fonts) = fonts() else { return };
        let (cw, ch) = fonts.cell_size();
        let s = screen(6, 1, "\x1b[44m漢\x1b[0mx".as_bytes());
        assert!(s.cell(0, 0).unwrap().is_wide());
        let image = fonts.render_rgba(&s).unwrap();
        let blue = BASE_PALETTE[4];
        let expect = Some([blue[0], blue[1], blue[2], 255]);
        // Both cells of the wide character have its background.
        assert_eq!(image.pixel(0, 0), expect);
        assert_eq!(image.pixel(2 * cw - 1, ch - 1), expect);
        assert_ne!(image.pixel(2 * cw, 0), expect);
    }

    #[test]
    fn lower_blocks_fill_exact_fractions() {
        assert_eq!(lower_block_eighths('▁'), Some(1));
        assert_eq!(lower_block_eighths('▄'), Some(4));
        assert_eq!(lower_block_eighths('█'), Some(8));
        assert_eq!(lower_block_eighths('▀'), None);
        assert_eq!(lower_block_eighths('▉'), None);
        let Some(fonts) = fonts() else { return };
        let (cw, ch) = fonts.cell_size();
        let s = screen(4, 1, "██▄".as_bytes());
        let image = fonts.render_rgba(&s).unwrap();
        let fg = Some([DEFAULT_FG[0], DEFAULT_FG[1], DEFAULT_FG[2], 255]);
        let bg = Some([DEFAULT_BG[0], DEFAULT_BG[1], DEFAULT_BG[2], 255]);
        // Two full blocks: every pixel of both cells, no gap between them.
        for y in 0..ch {
            for x in 0..2 * cw {
                assert_eq!(image.pixel(x, y), fg, "({x}, {y})");
            }
        }
        // The half block: the lower half filled, the upper half not.
        assert_eq!(image.pixel(2 * cw, ch - 1), fg);
        assert_eq!(image.pixel(3 * cw - 1, ch - ch / 2), fg);
        assert_eq!(image.pixel(2 * cw, ch - ch / 2 - 1), bg);
        assert_eq!(image.pixel(2 * cw, 0), bg);
    }

    #[test]
    fn missing_glyph_keeps_background() {
        let Some(fonts) = fonts() else { return };
        // U+E000 (private use) is not in DejaVu Sans Mono.
        let s = screen(4, 1, "\u{e000}".as_bytes());
        let image = fonts.render_rgba(&s).unwrap();
        let bg = Some([DEFAULT_BG[0], DEFAULT_BG[1], DEFAULT_BG[2], 255]);
        let (cw, ch) = fonts.cell_size();
        for y in 0..ch {
            for x in 0..cw {
                assert_eq!(image.pixel(x, y), bg);
            }
        }
    }
}
