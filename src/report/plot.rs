//! Placeholder until the sweep plot lands.

/// Writes an SVG document plotting the sweep's main columns against payload size.
pub fn write_plot(
    out: &mut dyn std::io::Write,
    rows: &[crate::sweep::SweepRow],
) -> std::io::Result<()> {
    out.write_all(render_plot(rows).as_bytes())
}

/// The same, as a String.
pub fn render_plot(rows: &[crate::sweep::SweepRow]) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- {} rows --></svg>",
        rows.len()
    )
}
