//! Drawing the measured speedups and their Amdahl fits as an SVG, one panel per workload.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

use super::amdahl;

/// How a series' points are marked, so that series differ by more than colour (in print, or
/// to a reader who does not tell red from green). The fit's line differs too: solid for
/// circles, dashed for triangles, dotted for squares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Triangle,
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Square,
}

impl Marker {
    /// The fit line's dash and gap, in pixels; `None` for a solid line.
    fn dashes(self) -> Option<(u32, u32)> {
        match self {
            Marker::Circle => None,
            Marker::Triangle => Some((10, 5)),
            Marker::Square => Some((3, 4)),
        }
    }
}

/// One backend's measurements on one workload.
pub(crate) struct Series {
    /// The backend's name, as in the legend.
    pub name: &'static str,
    pub color: RGBColor,
    pub marker: Marker,
    /// Whether this is the MPI series, drawn only when asked for (chapter 6's chart).
    pub mpi: bool,
    /// (workers, speedup over the sequential loop), for 1, 2, … workers.
    pub points: Vec<(usize, f64)>,
    /// The model fitted to the points, on `min(workers, cores)` processors.
    pub fit: amdahl::Fit,
}

/// One workload's panel.
pub(crate) struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

/// Draws `panels` side by side into an SVG file at `out`; the MPI series only `with_mpi`.
pub(crate) fn draw(
    out: &Path,
    panels: &[Panel],
    cores: usize,
    with_mpi: bool,
) -> Result<(), Box<dyn Error>> {
    let shown = |series: &&Series| with_mpi || !series.mpi;
    let max_workers = panels
        .iter()
        .flat_map(|panel| panel.series.iter().filter(shown))
        .flat_map(|series| &series.points)
        .map(|&(workers, _)| workers)
        .max()
        .unwrap_or(1);
    let root = SVGBackend::new(out, (560 * panels.len() as u32, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    for (panel, area) in panels.iter().zip(root.split_evenly((1, panels.len()))) {
        let series: Vec<&Series> = panel.series.iter().filter(shown).collect();
        draw_panel(&area, &panel.title, &series, cores, max_workers)?;
    }
    root.present()?;
    Ok(())
}

/// The top of the y axis: a little above `highest`, rounded up to a round step (1, 2 or 5
/// times a power of ten, about a fifth of the range), so the points fill the panel whatever
/// their scale — a panel whose points all lie below 0.14 gets an axis to 0.16, not to 1.5.
pub(crate) fn axis_top(highest: f64) -> f64 {
    let wanted = (highest * 1.15).max(1e-9);
    let rough = wanted / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough)
        .unwrap_or(10.0 * power);
    (wanted / step).ceil() * step
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    series: &[&Series],
    cores: usize,
    max_workers: usize,
) -> Result<(), Box<dyn Error>> {
    let highest = series
        .iter()
        .flat_map(|series| &series.points)
        .map(|&(_, speedup)| speedup)
        .fold(0.0, f64::max);
    let top = axis_top(highest);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.5..max_workers as f64 + 0.5, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("workers")
        .y_desc("speedup over the sequential loop")
        .x_labels(max_workers)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .light_line_style(WHITE)
        .draw()?;

    let grey = RGBColor(150, 150, 150);
    let ideal_end = (max_workers as f64).min(top);
    if ideal_end > 1.0 {
        // Only where it is on the chart: with every point far below 1, it is not.
        chart
            .draw_series(DashedLineSeries::new(
                [(1.0, 1.0), (ideal_end, ideal_end)],
                4,
                4,
                grey.into(),
            ))?
            .label("grey dashes: speedup = workers (a core each)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey));
    }
    let cores_at = cores as f64;
    chart.draw_series(LineSeries::new([(cores_at, 0.0), (cores_at, top)], grey))?;
    chart.draw_series(std::iter::once(Text::new(
        format!("{cores} cores"),
        (cores_at + 0.04, top * 0.55),
        ("sans-serif", 13).into_font().color(&grey),
    )))?;

    for series in series {
        let (color, marker) = (series.color, series.marker);
        let curve: Vec<(f64, f64)> = (0..=100)
            .map(|step| {
                let workers = 1.0 + (max_workers as f64 - 1.0) * f64::from(step) / 100.0;
                (workers, series.fit.at(workers.min(cores as f64), workers))
            })
            .collect();
        let style = color.stroke_width(2);
        let label = format!(
            "{}: fit, serial fraction {:.2}, +{:.2} a worker",
            series.name, series.fit.serial, series.fit.overhead
        );
        let legend = move |(x, y): (i32, i32)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (20, 0)], style)
                + mark(marker, (10, 0), color)
        };
        match marker.dashes() {
            None => chart.draw_series(LineSeries::new(curve, style))?,
            Some((dash, gap)) => {
                chart.draw_series(DashedLineSeries::new(curve, dash, gap, style))?
            }
        }
        .label(label)
        .legend(legend);
        chart.draw_series(series.points.iter().map(|&(workers, speedup)| {
            EmptyElement::at((workers as f64, speedup)) + mark(marker, (0, 0), color)
        }))?;
    }
    chart
        .configure_series_labels()
        .position(if highest > 1.0 {
            SeriesLabelPosition::LowerRight // the points rise: the bottom right stays empty
        } else {
            SeriesLabelPosition::UpperRight // no speedup: the points lie low
        })
        .background_style(WHITE.mix(0.85))
        .border_style(grey)
        .draw()?;
    Ok(())
}

/// A point's marker, drawn at `at` (pixels from the element's anchor).
fn mark<DB: plotters::prelude::DrawingBackend>(
    marker: Marker,
    at: (i32, i32),
    color: RGBColor,
) -> DynElement<'static, DB, (i32, i32)> {
    let (x, y) = at;
    match marker {
        Marker::Circle => Circle::new((x, y), 4, color.filled()).into_dyn(),
        Marker::Triangle => TriangleMarker::new((x, y), 5, color.filled()).into_dyn(),
        Marker::Square => {
            Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], color.filled()).into_dyn()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::axis_top;

    #[test]
    fn the_axis_follows_the_points() {
        // Every point at most 0.14: the axis ends at 0.2, not at 1.5.
        assert!((axis_top(0.14) - 0.2).abs() < 1e-12, "{}", axis_top(0.14));
        assert!((axis_top(1.9) - 2.5).abs() < 1e-12, "{}", axis_top(1.9));
        assert!((axis_top(0.03) - 0.04).abs() < 1e-12, "{}", axis_top(0.03));
        for highest in [0.001, 0.14, 0.9, 1.0, 3.7, 42.0] {
            let top = axis_top(highest);
            assert!(top > highest && top < highest * 2.0, "{highest}: {top}");
        }
    }
}
